package byterange

import (
	"errors"
	"slices"
	"testing"
)

type parseCase struct {
	h    string
	size int64
	want []Range
	err  error
}

var parseCases = []parseCase{
	// One range, every form of RFC 9110 §14.1.2.
	{"bytes=0-0", 10, []Range{{0, 1}}, nil},
	{"bytes=0-9", 10, []Range{{0, 10}}, nil},
	{"bytes=2-5", 10, []Range{{2, 4}}, nil},
	{"bytes=3-", 10, []Range{{3, 7}}, nil},
	{"bytes=9-", 10, []Range{{9, 1}}, nil},
	{"bytes=-3", 10, []Range{{7, 3}}, nil},
	{"bytes=-10", 10, []Range{{0, 10}}, nil},
	{"bytes=007-008", 10, []Range{{7, 2}}, nil},
	// Cut to the representation.
	{"bytes=5-100", 10, []Range{{5, 5}}, nil},
	{"bytes=-100", 10, []Range{{0, 10}}, nil},
	{"bytes=0-99999999999999999999", 10, []Range{{0, 10}}, nil},
	{"bytes=-99999999999999999999", 10, []Range{{0, 10}}, nil},
	// Several, kept in order, overlaps and all.
	{"bytes=0-1,4-5", 10, []Range{{0, 2}, {4, 2}}, nil},
	{"bytes=4-5,0-1", 10, []Range{{4, 2}, {0, 2}}, nil},
	{"bytes=0-4,2-6", 10, []Range{{0, 5}, {2, 5}}, nil},
	{"bytes=0-0,-1", 10, []Range{{0, 1}, {9, 1}}, nil},
	// Unsatisfiable ones dropped; none left is ErrUnsatisfiable.
	{"bytes=10-", 10, nil, ErrUnsatisfiable},
	{"bytes=10-20", 10, nil, ErrUnsatisfiable},
	{"bytes=99999999999999999999-", 10, nil, ErrUnsatisfiable},
	{"bytes=-0", 10, nil, ErrUnsatisfiable},
	{"bytes=20-30,0-1", 10, []Range{{0, 2}}, nil},
	{"bytes=0-1,20-30", 10, []Range{{0, 2}}, nil},
	{"bytes=-0,0-1", 10, []Range{{0, 2}}, nil},
	{"bytes=0-", 0, nil, ErrUnsatisfiable},
	{"bytes=-5", 0, nil, ErrUnsatisfiable},
	// White space and empty elements, which net/http accepts too.
	{"bytes= 0-1", 10, []Range{{0, 2}}, nil},
	{"bytes=0-1 , 3-4", 10, []Range{{0, 2}, {3, 2}}, nil},
	{"bytes=0 - 1", 10, []Range{{0, 2}}, nil},
	{"bytes=\t2-3\t", 10, []Range{{2, 2}}, nil},
	{"bytes=,0-1,,", 10, []Range{{0, 2}}, nil},
	// The unit is case-insensitive (net/http wants "bytes=").
	{"Bytes=0-1", 10, []Range{{0, 2}}, nil},
	{"BYTES=-1", 10, []Range{{9, 1}}, nil},
	// Malformed.
	{"", 10, nil, ErrMalformed},
	{"bytes", 10, nil, ErrMalformed},
	{"bytes=", 10, nil, ErrMalformed},
	{"bytes=,", 10, nil, ErrMalformed},
	{"bytes =0-1", 10, nil, ErrMalformed},
	{" bytes=0-1", 10, nil, ErrMalformed},
	{"items=0-1", 10, nil, ErrMalformed},
	{"bytes=1", 10, nil, ErrMalformed},
	{"bytes=-", 10, nil, ErrMalformed},
	{"bytes=--1", 10, nil, ErrMalformed},
	{"bytes=5-3", 10, nil, ErrMalformed},
	{"bytes=50-30", 100, nil, ErrMalformed},
	{"bytes=50-30", 10, nil, ErrUnsatisfiable},
	{"bytes=50-x", 10, nil, ErrUnsatisfiable},
	{"bytes=1-2-3", 10, nil, ErrMalformed},
	{"bytes=a-b", 10, nil, ErrMalformed},
	{"bytes=0x1-2", 10, nil, ErrMalformed},
	{"bytes=+1-2", 10, nil, ErrMalformed},
	{"bytes=1-+2", 10, nil, ErrMalformed},
	{"bytes=-+2", 10, nil, ErrMalformed},
	{"bytes=0-1,x", 10, nil, ErrMalformed},
	{"bytes=0-1;2-3", 10, nil, ErrMalformed},
	{"bytes=1 2-3", 10, nil, ErrMalformed},
	{"bytes=0-1\r\n", 10, nil, ErrMalformed},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		got, err := Parse(tc.h, tc.size)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("Parse(%q, %d): error %v, want %v", tc.h, tc.size, err, tc.err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q, %d) = %v, want %v", tc.h, tc.size, got, tc.want)
		}
	}
}

func TestContentRange(t *testing.T) {
	for _, tc := range []struct {
		r    Range
		size int64
		want string
	}{
		{Range{0, 1}, 1, "bytes 0-0/1"},
		{Range{2, 4}, 10, "bytes 2-5/10"},
		{Range{1 << 40, 5}, 1<<40 + 5, "bytes 1099511627776-1099511627780/1099511627781"},
	} {
		if got := tc.r.ContentRange(tc.size); got != tc.want {
			t.Errorf("%v.ContentRange(%d) = %q, want %q", tc.r, tc.size, got, tc.want)
		}
	}
	if got := Unsatisfied(0); got != "bytes */0" {
		t.Errorf("Unsatisfied(0) = %q", got)
	}
	if got := Unsatisfied(1234); got != "bytes */1234" {
		t.Errorf("Unsatisfied(1234) = %q", got)
	}
}

func TestSum(t *testing.T) {
	if got := Sum([]Range{{0, 5}, {2, 5}}); got != 10 {
		t.Errorf("Sum = %d, want 10", got)
	}
	if got := Sum([]Range{{0, 1 << 62}, {0, 1 << 62}, {0, 1 << 62}}); got != 1<<63-1 {
		t.Errorf("Sum saturates at the largest int64: got %d", got)
	}
}
