package main

import (
	"testing"
	"time"
)

func TestParseH2Load(t *testing.T) {
	out := `finished in 3.00s, 72185.00 req/s, 2.13MB/s
requests: 144370 total, 144370 started, 144370 done, 144360 succeeded, 4 failed, 5 errored, 1 timeout
status codes: 144370 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 4.27MB (4475930) total, 809.22KB (828646) headers (space savings 95.78%), 1.78MB (1861911) data
                     min         max         mean         sd        +/- sd
time for request:       17us     12.03ms      1.30ms      1.16ms    85.49%
`
	r, err := parseH2Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.RPS != 72185 || r.Succeeded != 144360 || r.Failed != 10 {
		t.Errorf("got %+v", r)
	}
	if r.Min != 17*time.Microsecond || r.Max != 12030*time.Microsecond || r.Mean != 1300*time.Microsecond {
		t.Errorf("times: %v %v %v", r.Min, r.Max, r.Mean)
	}
	if _, err := parseH2Load("h2load: connection refused"); err == nil {
		t.Error("no error without a summary")
	}
}
