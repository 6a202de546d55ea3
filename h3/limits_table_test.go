package h3_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the HTTP/3 limits tables in docs/security.md")

// h3LimitRow is one row of docs/security.md's HTTP/3 tables, as the doc
// shows it. TestH3LimitsTable renders both tables from h3LimitRows and
// h3QuicRows; TestH3LimitsRows checks that each row names TestLimits
// cases that exist (h3/limits_test.go runs them over a real UDP socket)
// and each value the code states.
type h3LimitRow struct {
	limit, on, beyond string
	// cases are TestLimits's cases that check the row; each must exist.
	cases []string
	// want, if set, is the value cell rendered from the code.
	want string
	// unchecked says what of the row no test checks, and why.
	unchecked string
}

var h3LimitRows = []h3LimitRow{
	{
		limit:     "`MaxHeaderBytes`",
		on:        "quic-go's field-section limit (`SETTINGS_MAX_FIELD_SECTION_SIZE`), set to `MaxHeaderBytes` + 32 × `MaxHeaders` and counted as RFC 9114 counts (each field's name and value plus 32, pseudo-fields included), as HTTP/2's header list is",
		beyond:    "431, written by quic-go without a body; the rest of the request is stopped (`STOP_SENDING H3_EXCESSIVE_LOAD`)",
		cases:     []string{"MaxHeaderBytes"},
		unchecked: "the SETTINGS value and the STOP_SENDING code: quic-go's client (TestLimits) exposes neither; the 431 is checked",
	},
	{limit: "`MaxURILength`", on: "the `:path`", beyond: "414; the handler does not run", cases: []string{"MaxURILength"}},
	{limit: "`MaxHeaders`", on: "the header fields, after quic-go joins `Cookie` crumbs into one", beyond: "431; the handler does not run", cases: []string{"MaxHeaders"}},
	{
		limit:     "`MaxBodyBytes`",
		on:        "as on the connector",
		beyond:    "a declared length: 413 before the handler runs, and the body is stopped (`STOP_SENDING H3_NO_ERROR`); a body without one: the handler's read fails with `api.ErrBodyTooLarge` (413)",
		cases:     []string{"MaxBodyBytes/declared", "MaxBodyBytes/undeclared"},
		unchecked: "the STOP_SENDING code, which quic-go's client does not expose",
	},
	{
		limit: "Trailer section", on: "`MaxHeaderBytes` (quic-go's limit above) and `MaxHeaders`, as a head", beyond: "the handler's read fails with a 431",
		cases: []string{"MaxHeaders/trailers", "MaxHeaderBytes/trailers"},
	},
	{
		limit:     "`ReadHeaderTimeout`",
		on:        "the QUIC handshake: quic-go's `HandshakeIdleTimeout` is half of it, and quic-go gives up a handshake idle that long or unfinished after twice that; a negative one, none over TCP, leaves quic-go's own bound (5 s idle, 10 s in all): a QUIC handshake begins with a single packet from an address nobody has checked",
		beyond:    "the handshake is abandoned (silently, as QUIC idle timeouts are) and its `MaxConnections` slot freed",
		cases:     []string{"ReadHeaderTimeout/handshake", "Timeouts/negative"},
		unchecked: "the factor one half is read in h3.go, not measured: TestLimits checks that a stalled handshake frees its slot",
	},
	{limit: "`ReadTimeout`", on: "each read of a request body (negative: none)", beyond: "the handler's read fails with a 408", cases: []string{"ReadTimeout", "Timeouts/negative"}},
	{
		limit: "`ReadBodyTimeout`", on: "a whole request body, from the handler's first read, as on TCP",
		beyond: "the handler's read fails with a 408 wrapping `connector.ErrTooSlow`", cases: []string{"ReadBodyTimeout"},
	},
	{
		limit: "`WriteTimeout`", on: "each write of a response, and the end of the response once the handler returns (negative: none)", beyond: "the write fails; the stream is reset (`H3_INTERNAL_ERROR`)",
		cases: []string{"WriteTimeout", "Timeouts/negative"}, unchecked: "the reset's code, which quic-go's client does not expose",
	},
	{
		limit: "`IdleTimeout`", on: "quic-go's `http3.Server.IdleTimeout`: time with no request stream open (negative: none)", beyond: "connection closed (`H3_NO_ERROR`)",
		cases: []string{"IdleTimeout", "Timeouts/negative"}, unchecked: "the close's code, which quic-go's client does not expose; that a negative one keeps an idle connection, which container's TestNegativeTimeoutsMeanNone checks",
	},
	{
		limit: "`MaxConnections`", on: "counted per `h3.Serve` call, apart from the container's TCP connections, from a client's first packet (handshakes count) to the connection's end",
		beyond: "refused at once with `CONNECTION_REFUSED`", cases: []string{"MaxConnections", "ReadHeaderTimeout/handshake"},
	},
	{
		limit: "`MaxDiscardBytes`", on: "does not apply",
		beyond:    "nothing is discarded: when the handler returns, an unread body is stopped (`STOP_SENDING H3_NO_ERROR`) and the connection goes on",
		unchecked: "no test sends a body the handler leaves unread over HTTP/3",
	},
	{
		limit:  "`MinRequestDataRate`, `MinResponseDataRate`, `DataRateGrace`",
		on:     "as on TCP: a slow body's read fails with a 408 wrapping `connector.ErrTooSlow`; a slow reader's write fails with `connector.ErrTooSlow` and the stream is reset (`TestLimits`). QUIC's flow-control windows take bytes at once and count as the client's progress, as a TCP socket's buffers do. A negative `DataRateGrace` (none) turns both rates off, as on TCP",
		beyond: "—", cases: []string{"MinRequestDataRate", "MinResponseDataRate", "Timeouts/negative"},
	},
}

var h3QuicRows = []h3LimitRow{
	{
		limit: "Request streams open at once per connection (`h3.MaxStreams`, QUIC `MAX_STREAMS`)", on: "100", beyond: "the client cannot open more until one ends",
		want: strconv.Itoa(h3.MaxStreams), unchecked: "the answer: no test opens more than h3.MaxStreams streams",
	},
	{
		limit: "Streams the client stops before their response is complete, per connection (`STOP_SENDING`, with or without `RESET_STREAM`: rapid reset, CVE-2023-44487); quic-go gives such a stream's credit back as soon as both its directions end, so the bound above does not bound them",
		on:    "200 at once, then 100 a second", want: fmt.Sprintf("%d at once, then %d a second", h3.ResetBurst, h3.ResetRate),
		beyond: "connection closed (`H3_EXCESSIVE_LOAD`) (`TestResetRate`); a client stopping every stream it may have open, twice over, keeps its connection (`TestResetBurstAllowed`), and each stream answered, or whose declared body went in full, gives one back, as on HTTP/2; the server's own resets are not counted",
	},
	{
		limit: "Stream and connection receive windows", on: "512 KiB and 768 KiB, growing to at most 6 MiB and 15 MiB", beyond: "QUIC flow-control error",
		unchecked: "quic-go's defaults, in its internal/protocol package, which a test outside quic-go cannot import; Wharf sets none",
	},
	{
		limit: "0-RTT", on: "accepted (quic-go's HTTP/3 default); `h3.Config.Disable0RTT` refuses it", beyond: "a request a client sends as 0-RTT data can be replayed by whoever captured it (RFC 9001 §9.2): one whose method is not safe (RFC 9110 §9.2.1) waits for the handshake to complete, which a replay never does (RFC 8470 §3), and its handler sees the handshake complete (`TestEarlyRequestWaitsForHandshake`); a GET, HEAD, OPTIONS or TRACE runs at once, its TLS state's `HandshakeComplete` false, and is run again for each replay: refuse 0-RTT where such a request has effects (`TestDisable0RTT`)",
		unchecked: "that HEAD, OPTIONS and TRACE run at once as GET does, and that a POST whose client leaves during the wait never runs: read in h3's awaitHandshake",
	},
}

func h3Table(head string, rows []h3LimitRow) string {
	var b strings.Builder
	b.WriteString("\n" + head + "\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.limit, r.on, r.beyond)
	}
	b.WriteString("\n")
	return b.String()
}

// TestH3LimitsTable holds docs/security.md's two HTTP/3 tables to
// h3LimitRows and h3QuicRows.
func TestH3LimitsTable(t *testing.T) {
	wharftest.DocSection(t, "../docs/security.md", "h3-limits", h3Table("| Limit | On HTTP/3 | Beyond it |", h3LimitRows), *updateDocs)
	wharftest.DocSection(t, "../docs/security.md", "h3-quic-limits", h3Table("| Limit | Value | Beyond it |", h3QuicRows), *updateDocs)
}

// TestH3LimitsRows checks that each row's TestLimits cases exist, and each
// value the code states.
func TestH3LimitsRows(t *testing.T) {
	src, err := os.ReadFile("limits_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^func TestLimits\(t \*testing\.T\)`).Match(src) {
		t.Fatal("TestLimits is gone from h3/limits_test.go")
	}
	cases := map[string]bool{}
	for _, m := range regexp.MustCompile(`\{"([\w/]+)", connector\.Config`).FindAllSubmatch(src, -1) {
		cases[string(m[1])] = true
	}
	for _, r := range append(append([]h3LimitRow{}, h3LimitRows...), h3QuicRows...) {
		t.Run(r.limit, func(t *testing.T) {
			if len(r.cases) == 0 && r.want == "" && r.unchecked == "" {
				t.Error("neither checked nor marked unchecked")
			}
			for _, c := range r.cases {
				if !cases[c] {
					t.Errorf("the row relies on TestLimits/%s, which TestLimits does not run", c)
				}
			}
			if r.want != "" && r.on != r.want {
				t.Errorf("the table says %q, the code %q", r.on, r.want)
			}
		})
	}
}
