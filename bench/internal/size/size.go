// Package size parses and formats byte counts with binary suffixes, as the
// static-file benchmarks take them on the command line ("4MiB", "256KiB").
package size

import (
	"fmt"
	"strconv"
	"strings"
)

var units = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// Parse reads a non-negative byte count: digits with an optional B, KiB, MiB
// or GiB suffix (a space between is allowed). Decimal units (KB, MB) are
// refused rather than guessed at, since a benchmark's figures depend on
// which was meant.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.n
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a whole number of bytes with an optional B, KiB, MiB or GiB suffix", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

// Format writes n with the largest binary unit that divides it exactly, so
// that Parse(Format(n)) == n.
func Format(n int64) string {
	for _, u := range units[:3] {
		if n != 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + " " + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}

// Value is a flag.Value holding a byte count.
type Value struct{ N *int64 }

func (v Value) String() string {
	if v.N == nil {
		return ""
	}
	return Format(*v.N)
}

func (v Value) Set(s string) error {
	n, err := Parse(s)
	if err != nil {
		return err
	}
	*v.N = n
	return nil
}
