package size

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"0", 0, false},
		{"1024", 1024, false},
		{"17B", 17, false},
		{"1KiB", 1024, false},
		{"256KiB", 256 << 10, false},
		{"256 KiB", 256 << 10, false},
		{" 4MiB ", 4 << 20, false},
		{"2GiB", 2 << 30, false},
		{"", 0, true},
		{"KiB", 0, true},
		{"-1", 0, true},
		{"1.5MiB", 0, true},
		{"4MB", 0, true}, // decimal units are refused, not guessed
		{"4k", 0, true},
		{"9999999999GiB", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1000, "1000 B"},
		{1024, "1 KiB"},
		{1536, "1536 B"},
		{256 << 10, "256 KiB"},
		{4 << 20, "4 MiB"},
		{3 << 30, "3 GiB"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if n, err := Parse(tt.want); err != nil || n != tt.in {
			t.Errorf("Parse(Format(%d)) = %d, %v", tt.in, n, err)
		}
	}
}
