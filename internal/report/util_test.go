package report_test

import (
	"errors"

	"github.com/usher-events/usher/internal/fault"
)

func asFault(err error, target **fault.Error) bool { return errors.As(err, target) }
