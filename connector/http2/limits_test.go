package http2_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/connector/http2"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// h2LimitRow is one row of docs/security.md's HTTP/2 limits table, as the
// doc shows it. TestH2LimitsTable renders the table from h2LimitRows;
// TestH2LimitsValues checks each row's value against the code (the
// SETTINGS a real connection sends, the package's constants, the
// connector's defaults) and that every test the row relies on exists.
type h2LimitRow struct {
	limit, value, beyond string
	// check holds value to the code; nil only with unchecked set.
	check func(t *testing.T, value string, s h2Settings)
	// tests are socket tests that check the row's answer besides those
	// the beyond column names; each must exist.
	tests []string
	// probe, if set, sends the row's answer over a real socket here.
	probe func(t *testing.T)
	// unchecked says what of the row no test checks, and why.
	unchecked string
}

// h2Settings is what a real connection's server sends first: its SETTINGS
// and the connection's WINDOW_UPDATE.
type h2Settings struct {
	settings   map[xhttp2.SettingID]uint32
	connWindow uint32 // 65,535 plus the stream-0 WINDOW_UPDATE
}

var h2Defaults = (&connector.Config{}).Limits()

var h2LimitRows = []h2LimitRow{
	{
		limit: "Concurrent streams (`SETTINGS_MAX_CONCURRENT_STREAMS`)", value: "250", beyond: "`RST_STREAM REFUSED_STREAM`",
		check: func(t *testing.T, v string, s h2Settings) {
			same(t, "SETTINGS_MAX_CONCURRENT_STREAMS", v, count(int64(s.settings[xhttp2.SettingMaxConcurrentStreams])))
			same(t, "h2MaxStreams", v, count(http2.H2MaxStreams))
		},
		probe: probeRefusedStream,
	},
	{
		limit: "Requests whose handler has not finished (rapid reset, CVE-2023-44487), per connection; across connections, see the handler limit under Requests",
		value: "1,000", beyond: "`GOAWAY ENHANCE_YOUR_CALM`",
		check: func(t *testing.T, v string, _ h2Settings) { same(t, "h2MaxHandlers", v, count(http2.H2MaxHandlers)) },
		tests: []string{"TestH2RapidReset"},
	},
	{
		limit:  "Streams the client ends by a reset before their response is complete, per connection: its `RST_STREAM` (rapid reset, CVE-2023-44487) or one its frames provoke, a refused stream included (MadeYouReset, CVE-2025-8671)",
		value:  "500 at once, then 100 a second",
		beyond: "`GOAWAY ENHANCE_YOUR_CALM`; a client resetting every stream it has open, twice over, keeps its connection (`TestH2ResetBurstAllowed`), as does one resetting below the rate for long (`TestH2ResetBelowRateAllowed`) or one whose other streams are answered, each giving a reset back (`TestH2ResetsAmongAnsweredAllowed`)",
		check: func(t *testing.T, v string, _ h2Settings) {
			same(t, "h2ResetBurst and h2ResetRate", v, count(http2.H2ResetBurst)+" at once, then "+count(http2.H2ResetRate)+" a second")
		},
		tests: []string{"TestH2ResetRate"},
	},
	{
		limit: "Header list (`SETTINGS_MAX_HEADER_LIST_SIZE`)", value: "`MaxHeaderBytes` + 32 × `MaxHeaders`",
		beyond: "431 on the stream, even for one field longer than the whole list; the connection goes on",
		check: func(t *testing.T, v string, s h2Settings) {
			want := h2Defaults.MaxHeaderBytes + 32*h2Defaults.MaxHeaders
			if got := int(s.settings[xhttp2.SettingMaxHeaderListSize]); got != want || v != "`MaxHeaderBytes` + 32 × `MaxHeaders`" {
				t.Errorf("SETTINGS_MAX_HEADER_LIST_SIZE is %d, want %d, as %s with the defaults", got, want, v)
			}
		},
		tests: []string{"TestH2OversizedField", "TestH2Limits"},
	},
	{
		limit: "Header block, encoded (HEADERS and its CONTINUATION frames, an empty frame's 9-byte header counted)", value: "4 × the header list limit", beyond: "`GOAWAY ENHANCE_YOUR_CALM`",
		tests:     []string{"TestH2ContinuationFlood"},
		unchecked: "the factor 4 is not probed at its edge (a valid HPACK block of exactly 4 × the list limit); TestH2ContinuationFlood checks the answer",
	},
	{
		limit: "Header block time (`ReadHeaderTimeout`), from its HEADERS frame's first byte, whatever other streams are open", value: "10 s", beyond: "`GOAWAY ENHANCE_YOUR_CALM`",
		check: func(t *testing.T, v string, _ h2Settings) {
			same(t, "ReadHeaderTimeout", v, dur(h2Defaults.ReadHeaderTimeout))
		},
		tests: []string{"TestH2HeadTimeout"},
	},
	{
		limit: "Control frames unanswered (PING, SETTINGS acks, RST_STREAM provoked)", value: "10,000", beyond: "`GOAWAY ENHANCE_YOUR_CALM`",
		check: func(t *testing.T, v string, _ h2Settings) { same(t, "h2MaxControl", v, count(http2.H2MaxControl)) },
		tests: []string{"TestH2PingFlood", "TestH2SettingsFlood", "TestH2ResetFlood"},
	},
	{
		limit: "Response bytes queued on a connection", value: "1 MiB, and 4,096 frames", beyond: "the writing handler waits (its `WriteTimeout` applies)",
		check: func(t *testing.T, v string, _ h2Settings) {
			same(t, "h2MaxQueued and h2MaxFrames", v, size(http2.H2MaxQueued)+", and "+count(http2.H2MaxFrames)+" frames")
		},
		tests: []string{"TestH2WindowDribbleBounded", "TestH2WriteWaitTimeout"},
	},
	{
		limit: "Frame size read", value: "16 KiB", beyond: "`GOAWAY FRAME_SIZE_ERROR`",
		check: func(t *testing.T, v string, s h2Settings) {
			same(t, "h2MaxFrame", v, size(http2.H2MaxFrame))
			if m, ok := s.settings[xhttp2.SettingMaxFrameSize]; ok && int64(m) != http2.H2MaxFrame {
				t.Errorf("SETTINGS_MAX_FRAME_SIZE %d, want %d", m, http2.H2MaxFrame)
			}
		},
		tests: []string{"TestH2MalformedRequests"},
	},
	{
		limit: "Stream and connection receive windows", value: "256 KiB and 1 MiB", beyond: "`FLOW_CONTROL_ERROR`",
		check: func(t *testing.T, v string, s h2Settings) {
			same(t, "SETTINGS_INITIAL_WINDOW_SIZE and the connection's window", v,
				size(int64(s.settings[xhttp2.SettingInitialWindowSize]))+" and "+size(int64(s.connWindow)))
			same(t, "h2StreamWindow and h2ConnWindow", v, size(http2.H2StreamWindow)+" and "+size(http2.H2ConnWindow))
		},
		probe: probeFlowControl,
	},
	{
		limit:  "`MinRequestDataRate`, `ReadBodyTimeout`, `ReadTimeout`: a stream's body read waiting for DATA, as on HTTP/1.1",
		value:  "240 B/s after `DataRateGrace` (5 s); none; 30 s",
		beyond: "the read fails with a 408 (wrapping `connector.ErrTooSlow` for the first two); the stream is answered (408 if nothing was written) and then reset with `RST_STREAM NO_ERROR` (`TestH2SlowBodyRate`), or with `ENHANCE_YOUR_CALM` if the response was already committed (`TestH2ReadBodyTimeout`)",
		check: func(t *testing.T, v string, _ h2Settings) {
			none := "none"
			if h2Defaults.ReadBodyTimeout != 0 {
				none = dur(h2Defaults.ReadBodyTimeout)
			}
			same(t, "the connector's defaults", v, rate(h2Defaults.MinRequestDataRate)+"; "+none+"; "+dur(h2Defaults.ReadTimeout))
		},
	},
	{
		limit:  "`MinResponseDataRate`: a response waiting for the client, for a flow-control window (the stream's or the connection's) or for room in the connection's queue (the client reading its socket); what a window takes at once counts as the client's progress",
		value:  "240 B/s after `DataRateGrace` (5 s)",
		beyond: "the write fails with `connector.ErrTooSlow` and the stream is reset with `RST_STREAM ENHANCE_YOUR_CALM`: the client holds the server's memory and a goroutine, which is abuse, neither the server's fault (`INTERNAL_ERROR`) nor the client's change of mind (`CANCEL`) (`TestH2SlowWindowRate`, `TestH2SlowSocketReader`)",
		check: func(t *testing.T, v string, _ h2Settings) {
			same(t, "the connector's defaults", v, rate(h2Defaults.MinResponseDataRate))
		},
	},
	{
		limit: "`WriteTimeout`: each such wait", value: "30 s", beyond: "the write fails and the stream is reset (`TestH2WriteWaitTimeout`)",
		check: func(t *testing.T, v string, _ h2Settings) { same(t, "WriteTimeout", v, dur(h2Defaults.WriteTimeout)) },
	},
	{
		limit: "Every stream still open waiting for the client, once one was cut off by a data rate", value: "—",
		beyond:    "`GOAWAY ENHANCE_YOUR_CALM`, connection closed; a stream whose handler is busy, or whose client makes progress, keeps the connection (`TestH2StarvedNeedsEveryStream`)",
		unchecked: "no value to check: a behaviour, which TestH2StarvedNeedsEveryStream checks",
	},
}

func h2LimitsTable() string {
	var b strings.Builder
	b.WriteString("\n| Limit | Value | Beyond it |\n|---|---|---|\n")
	for _, r := range h2LimitRows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.limit, r.value, r.beyond)
	}
	b.WriteString("\n")
	return b.String()
}

// TestH2LimitsTable holds docs/security.md's HTTP/2 table to h2LimitRows.
func TestH2LimitsTable(t *testing.T) {
	wharftest.DocSection(t, "../../docs/security.md", "h2-limits", h2LimitsTable(), *updateDocs)
}

// TestH2LimitsValues checks each row of h2LimitRows against the code, over
// a real connection where the server states the value, and that the tests
// each row relies on exist.
func TestH2LimitsValues(t *testing.T) {
	addr, _ := abuseServer(t)
	s := readServerSettings(t, addr)
	declared := wharftest.DeclaredTests(t)
	for _, r := range h2LimitRows {
		t.Run(r.limit, func(t *testing.T) {
			if r.check == nil && r.unchecked == "" {
				t.Fatal("neither checked nor marked unchecked")
			}
			if r.check != nil {
				r.check(t, r.value, s)
			}
			names := r.tests
			for _, m := range regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(r.beyond, -1) {
				names = append(names, m[1])
			}
			for _, n := range names {
				if !declared[n] {
					t.Errorf("the row relies on %s, which no test in connector/http2 declares", n)
				}
			}
			if r.check != nil && r.probe == nil && len(names) == 0 && r.unchecked == "" {
				t.Errorf("the answer %q is neither probed nor named to a test", r.beyond)
			}
			if r.probe != nil {
				r.probe(t)
			}
		})
	}
}

// readServerSettings dials addr and reads the server's SETTINGS and its
// connection WINDOW_UPDATE.
func readServerSettings(t *testing.T, addr string) h2Settings {
	c := dialH2C(t, addr)
	s := h2Settings{settings: map[xhttp2.SettingID]uint32{}, connWindow: 65535}
	gotSettings, gotWindow := false, false
	for !gotSettings || !gotWindow {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the server's first frames: %v", err)
		}
		switch f := f.(type) {
		case *xhttp2.SettingsFrame:
			if !f.IsAck() {
				f.ForeachSetting(func(st xhttp2.Setting) error { s.settings[st.ID] = st.Val; return nil })
				gotSettings = true
			}
		case *xhttp2.WindowUpdateFrame:
			if f.StreamID == 0 {
				s.connWindow += f.Increment
				gotWindow = true
			}
		}
	}
	return s
}

// probeRefusedStream opens one stream more than SETTINGS_MAX_CONCURRENT_STREAMS
// while the others' handlers run: that one is refused.
func probeRefusedStream(t *testing.T) {
	addr, _ := abuseServer(t)
	c := dialH2C(t, addr)
	last := uint32(2*http2.H2MaxStreams + 1)
	for id := uint32(1); id <= last; id += 2 {
		c.writeBlock(t, id, c.headerBlock("/hold"), true)
	}
	if got, err := c.outcome(last); err != nil || got != "RST_STREAM REFUSED_STREAM" {
		t.Errorf("stream %d: %q (%v), want RST_STREAM REFUSED_STREAM", last, got, err)
	}
}

// probeFlowControl sends a byte more than the stream window on a stream
// whose handler does not read.
func probeFlowControl(t *testing.T) {
	addr, _ := abuseServer(t)
	c := dialH2C(t, addr)
	c.writeBlock(t, 1, c.headerBlockMethod("POST", "/hold"), false)
	chunk := make([]byte, http2.H2MaxFrame)
	for sent := 0; sent <= http2.H2StreamWindow; sent += len(chunk) {
		n := min(len(chunk), http2.H2StreamWindow+1-sent)
		if err := c.fr.WriteData(1, false, chunk[:n]); err != nil {
			t.Fatal(err)
		}
		if n < len(chunk) {
			break
		}
	}
	if got, err := c.outcome(1); err != nil || !strings.HasSuffix(got, "FLOW_CONTROL_ERROR") {
		t.Errorf("stream 1: %q (%v), want FLOW_CONTROL_ERROR", got, err)
	}
}

func same(t *testing.T, what, doc, code string) {
	t.Helper()
	if doc != code {
		t.Errorf("the table says %q, %s says %q", doc, what, code)
	}
}

// count renders n with thousands separators, as the doc writes numbers.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func dur(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d s", d/time.Second)
}

func rate(bps int64) string {
	return fmt.Sprintf("%d B/s after `DataRateGrace` (%s)", bps, dur(h2Defaults.DataRateGrace))
}
