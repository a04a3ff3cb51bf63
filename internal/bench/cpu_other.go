//go:build !unix

package bench

import "time"

// processCPU is not measured here: the CPU figures stay out of the report.
func processCPU() time.Duration { return 0 }
