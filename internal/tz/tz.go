// Package tz loads time zones once: time.LoadLocation reads and parses the
// zone's file on every call, and messages and pages show every time in
// their event's zone.
package tz

import (
	"sync"
	"time"
)

var zones sync.Map // name → *time.Location

// Location returns the named time zone, or UTC for "" and for a name that
// does not load (validation keeps those out of stored events).
func Location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // not remembered: names come from stored rows, not from clients
	}
	zones.Store(name, loc)
	return loc
}
