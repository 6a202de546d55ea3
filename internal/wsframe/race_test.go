//go:build race

package wsframe

// raceEnabled: the race detector makes allocations of its own.
const raceEnabled = true
