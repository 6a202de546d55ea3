// Package endpoint holds what the peer servers of the benchmark share with
// examples/hello so that all four answer the same thing: the query
// parameters' bounds and parsing, the xorshift loop of /cpu, and the bodies.
package endpoint

import (
	"strconv"
	"time"
)

// Bounds of the query parameters, as in examples/hello.
const (
	MaxMillis = 60000
	MaxCPU    = 1_000_000_000
)

// ContentType is the Content-Type of every answer.
const ContentType = "text/plain; charset=utf-8"

// Int parses the query parameter value s of key as an integer in [lo, hi];
// an empty s yields def. Otherwise it returns the text of the 400 answer
// examples/hello gives (without the status prefix) and false.
func Int(key, s string, def, lo, hi int64) (int64, string, bool) {
	if s == "" {
		return def, "", true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, key + " must be an integer between " + strconv.FormatInt(lo, 10) +
			" and " + strconv.FormatInt(hi, 10), false
	}
	return n, "", true
}

// Millis parses the ms parameter of /sleep and /delay.
func Millis(s string) (time.Duration, int64, string, bool) {
	ms, msg, ok := Int("ms", s, 0, 0, MaxMillis)
	return time.Duration(ms) * time.Millisecond, ms, msg, ok
}

// CPUN parses the n parameter of /cpu.
func CPUN(s string) (int64, string, bool) { return Int("n", s, 1000, 0, MaxCPU) }

// Hello is the body of /hello?name=name.
func Hello(name string) string {
	if name == "" {
		name = "world"
	}
	return "Hello, " + name + "!"
}

// Slept, Delayed and CPU are the bodies of /sleep, /delay and /cpu.
func Slept(ms int64) string   { return "slept " + strconv.FormatInt(ms, 10) + " ms" }
func Delayed(ms int64) string { return "delayed " + strconv.FormatInt(ms, 10) + " ms" }
func CPU(n int64) string      { return strconv.FormatUint(Xorshift(n), 10) }

// BadRequest is the body of a 400 answer, as examples/hello writes it.
func BadRequest(msg string) string { return "400 Bad Request: " + msg + "\n" }

// Xorshift runs n rounds of Marsaglia's xorshift64 from a fixed seed: the
// loop of examples/hello's /cpu, copied so that every server burns the same.
func Xorshift(n int64) uint64 {
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
