package tz

import (
	"testing"
	"time"
)

func TestLocation(t *testing.T) {
	seoul := Location("Asia/Seoul")
	if _, off := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC).In(seoul).Zone(); off != 9*3600 {
		t.Fatalf("Asia/Seoul is UTC%+d s", off)
	}
	if Location("Asia/Seoul") != seoul {
		t.Fatal("a second lookup loaded the zone again")
	}
	for _, name := range []string{"", "Not/AZone"} {
		if Location(name) != time.UTC {
			t.Fatalf("%q is not UTC", name)
		}
	}
}
