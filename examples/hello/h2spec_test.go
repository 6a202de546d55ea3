package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// h2specKnown are the h2spec cases HTTP/2 fails today. HTTP/2 is served by
// net/http's server for now, and these are the ones it fails (the first
// four are documented in the HTTP/2 issue; the two content-length ones
// depend on the handler reading the body before it answers, the invalid preface is the h2c
// hand-over's, and the stream window one depends on timing). Wharf's own HTTP/2 server is to empty this list; until
// then the test keeps any other case from failing.
var h2specKnown = map[string]bool{
	"http2/4.2: Sends a large size HEADERS frame that exceeds the SETTINGS_MAX_FRAME_SIZE":                                                                true,
	"http2/6.5.3: Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE":                                                                                  true,
	"http2/8.1.2.2: Sends a HEADERS frame that contains the connection-specific header field":                                                             true,
	`http2/8.1.2.2: Sends a HEADERS frame that contains the TE header field with any value other than "trailers"`:                                         true,
	`http2/8.1.2.6: Sends a HEADERS frame with the "content-length" header field which does not equal the sum of the multiple DATA frames payload length`: true,
	`http2/8.1.2.6: Sends a HEADERS frame with the "content-length" header field which does not equal the DATA frame payload length`:                      true,
	"http2/3.5: Sends invalid connection preface":                                                                                                         true,
	// Depends on timing: the response may end the stream before the
	// window overflows.
	"http2/6.9.1: Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1 on a stream": true,
}

// TestH2Spec runs the h2spec conformance suite (145 cases) against the
// example over TLS and over h2c, and fails on any case outside
// h2specKnown. CI installs h2spec; without it the test is skipped.
func TestH2Spec(t *testing.T) {
	h2spec, err := exec.LookPath("h2spec")
	if err != nil {
		t.Skip("h2spec not installed (go install github.com/summerwind/h2spec/cmd/h2spec@latest)")
	}
	for _, tc := range []struct {
		name string
		args []string // the example's flags
		tls  bool
	}{
		{"tls", []string{"-tls"}, true},
		{"h2c", []string{"-h2c"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, stop := exampletest.RunCommand(t, command.Run, tc.args...)
			defer stop()
			hostPort := base[strings.Index(base, "//")+2:]
			host, port := hostPort[:strings.LastIndexByte(hostPort, ':')], hostPort[strings.LastIndexByte(hostPort, ':')+1:]
			// run runs h2spec, or with specs only those sections, and
			// returns the case count, the failures beyond the known ones,
			// and its output.
			run := func(specs ...string) (int, []string, []byte) {
				report := filepath.Join(t.TempDir(), "h2spec.xml")
				args := []string{"-h", host, "-p", port, "-o", "3", "-j", report}
				if tc.tls {
					args = append(args, "-t", "-k")
				}
				out, _ := exec.Command(h2spec, append(args, specs...)...).CombinedOutput() // exits 1 when a case fails
				cases, failed := readH2SpecReport(t, report)
				var unexpected []string
				for _, f := range failed {
					if !h2specKnown[f] {
						unexpected = append(unexpected, f)
					}
				}
				t.Logf("h2spec over %s %v: %d cases, %d failed (%d known)", tc.name, specs, cases, len(failed), len(failed)-len(unexpected))
				return cases, unexpected, out
			}
			cases, unexpected, out := run()
			if len(unexpected) > 0 {
				// Some cases depend on timing with the interim server: a
				// case fails the test only if it fails again when its
				// section runs a second time.
				var sections []string
				for _, u := range unexpected {
					sections = append(sections, u[:strings.Index(u, ":")])
				}
				_, again, _ := run(sections...)
				unexpected = intersect(unexpected, again)
			}
			if cases != 145 {
				t.Errorf("h2spec ran %d cases, want 145; its output:\n%s", cases, out)
			}
			if len(unexpected) > 0 {
				t.Errorf("h2spec cases failing beyond the known ones:\n%s", strings.Join(unexpected, "\n"))
			}
		})
	}
}

type h2specReport struct {
	Suites []struct {
		Cases []struct {
			Package   string    `xml:"package,attr"`
			ClassName string    `xml:"classname,attr"`
			Error     *struct{} `xml:"error"`
			Failure   *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readH2SpecReport returns the number of cases in h2spec's JUnit report and
// the failed ones as "package: description".
func readH2SpecReport(t *testing.T, path string) (int, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("h2spec wrote no report: %v", err)
	}
	var r h2specReport
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	n := 0
	var failed []string
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			n++
			if c.Error != nil || c.Failure != nil {
				failed = append(failed, c.Package+": "+c.ClassName)
			}
		}
	}
	sort.Strings(failed)
	return n, failed
}

// intersect returns the strings in both a and b.
func intersect(a, b []string) []string {
	var both []string
	for _, x := range a {
		if slices.Contains(b, x) {
			both = append(both, x)
		}
	}
	return both
}
