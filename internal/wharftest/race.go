//go:build race

package wharftest

// RaceEnabled reports whether the binary runs under the race detector, which
// makes sync.Pool drop items at random: allocation counts mean little then.
const RaceEnabled = true
