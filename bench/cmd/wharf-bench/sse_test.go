package main

import "testing"

func TestCarrySSE(t *testing.T) {
	block := sseBegin + "\n## Server-Sent Events\n\nnumbers\n" + sseEnd
	tests := []struct {
		name, old, md, want string
	}{
		{"no section before", "# B\n\n## Targets\n\nold\n", "# B\n\n## Targets\n\nnew\n", "# B\n\n## Targets\n\nnew\n"},
		{"carried before Targets", "# B\n\n" + block + "\n\n## Targets\n\nold\n", "# B\n\nx\n\n## Targets\n\nnew\n",
			"# B\n\nx\n\n" + block + "\n\n## Targets\n\nnew\n"},
		{"no Targets: at the end", "# B\n" + block + "\n", "# B\n\nx", "# B\n\nx\n\n" + block + "\n"},
		{"the new one has it already", "# B\n" + block + "\n", "# B\n" + sseBegin + "y" + sseEnd + "\n", "# B\n" + sseBegin + "y" + sseEnd + "\n"},
		{"end marker missing", "# B\n" + sseBegin + "x\n", "# C\n", "# C\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := carrySSE(tt.old, tt.md); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSSEIdlePerStream(t *testing.T) {
	tests := []struct {
		m    SSEIdle
		want float64
	}{
		{SSEIdle{Opened: 0, BaselineKiB: 10, LoadedKiB: 20}, 0},
		{SSEIdle{Opened: 10000, BaselineKiB: 12000, LoadedKiB: 32000}, 2},
		{SSEIdle{Opened: 4, BaselineKiB: 100, LoadedKiB: 98}, -0.5},
	}
	for _, tt := range tests {
		if got := tt.m.PerStreamKiB(); got != tt.want {
			t.Errorf("%+v: got %v, want %v", tt.m, got, tt.want)
		}
	}
}
