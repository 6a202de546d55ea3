package wharftest

import (
	"testing"

	"github.com/wharf-go/wharf/api"
)

// AddedAllocs returns the allocations that with makes on a request beyond
// those of without (the same handler without the filters under test): the
// average over runs of r served by each, each run on a new Recorder. The
// Recorders' own allocations cancel out, so a test can pin what filters
// add. r is reused, as requests are immutable.
func AddedAllocs(runs int, with, without api.Handler, r *api.Request) float64 {
	a := testing.AllocsPerRun(runs, func() { _ = with.Serve(NewRecorder(), r) })
	b := testing.AllocsPerRun(runs, func() { _ = without.Serve(NewRecorder(), r) })
	return a - b
}
