package main

import (
	"strings"
	"testing"
)

func TestGoroutineSources(t *testing.T) {
	tests := []struct {
		name             string
		servers, sources []string
		want             string
	}{
		{"none", nil, nil, "the servers"},
		{"as the peers and examples/hello answer",
			[]string{"Wharf", "Wharf over TLS", "net/http", "fasthttp"},
			[]string{"/debug/vars", "/debug/vars", "/debug/goroutines", "/debug/goroutines"},
			"the `goroutines` number of `/debug/vars` (`runtime.NumGoroutine()`) for Wharf, Wharf over TLS; " +
				"`/debug/goroutines` (`runtime.NumGoroutine()`) for net/http, fasthttp"},
		{"the profile, and a failed row left out",
			[]string{"Wharf", "nbio"}, []string{"/debug/pprof/goroutine", ""},
			"the first line of `/debug/pprof/goroutine?debug=1` (`goroutine profile: total N`) for Wharf"},
	}
	for _, tt := range tests {
		if got := goroutineSources(tt.servers, tt.sources); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// TestGoroutineSourceReported checks that the reports say where the
// goroutine counts came from as the run recorded it: examples/hello
// answers /debug/vars, which goroutines asks before the goroutine profile.
func TestGoroutineSourceReported(t *testing.T) {
	res := sampleResults()
	for i := range res.Memory {
		res.Memory[i].GoroutineSource = "/debug/goroutines"
		if res.Memory[i].Server == "wharf" {
			res.Memory[i].GoroutineSource = "/debug/vars"
		}
	}
	md := renderMarkdown(res)
	if want := "`/debug/vars` (`runtime.NumGoroutine()`) for Wharf"; !strings.Contains(md, want) {
		t.Errorf("the memory section lacks %q", want)
	}
	if strings.Contains(md, "goroutine profile: total N") {
		t.Error("the memory section says Wharf's count is the goroutine profile's, which the run did not read")
	}
	sse := renderSSE(&SSEResults{Config: SSEConfig{Streams: 10, Topics: 1}, Idle: []SSEIdle{
		{Server: "wharf", Opened: 10, GoroutineSource: "/debug/vars"},
		{Server: "nethttp", Opened: 10, GoroutineSource: "/debug/goroutines"},
	}})
	if want := "`/debug/vars` (`runtime.NumGoroutine()`) for Wharf"; !strings.Contains(sse, want) {
		t.Errorf("the SSE section lacks %q", want)
	}
	if strings.Contains(sse, "goroutine profile's total") {
		t.Error("the SSE section says Wharf's count is the goroutine profile's, which the run did not read")
	}
}
