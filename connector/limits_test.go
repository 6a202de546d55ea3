//go:build !windows

package connector_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// limitRow is one row of docs/security.md's HTTP/1.1 limits table: a
// connector.Config field (or a bound with no setting), what it bounds,
// its default as the code has it, and what a client gets beyond it.
// TestLimitsTable renders the table from limitRows; TestLimitsOverSockets
// sends each row's answers over real connections with cfg, small values
// that make the limit cheap to reach, and runs its checks.
type limitRow struct {
	field   string           // the connector.Config field; "" for a bound with no setting
	what    string           // what it bounds
	def     string           // the default, rendered from the code
	answers []limitAnswer    // the "Beyond it" column, joined by "; "; none is "—"
	test    string           // a dedicated test that also checks the row, named in it
	cfg     connector.Config // the configuration the answers' probes run with
	checks  []limitCheck     // what else the row states: its default, "negative: none", what stays within
}

// limitAnswer is one thing a client gets beyond a limit. Its text is
// rendered with "{status}", "{closed}", "{kept}" and "{err}" standing for
// the fields below, which the probe's outcome must match: so the doc can
// only state an answer the test checks.
type limitAnswer struct {
	text   string
	status int    // the status the client reads; 0: none stated
	end    string // "closed" or "kept": the connection afterwards; "": not stated
	fails  string // "read" or "write": the handler's read or write fails; "": not stated
	err    error  // what that failure wraps (errors.Is); nil: not stated
	probe  func(t *testing.T, s *limitServer) limitOutcome
}

// limitOutcome is what a probe saw.
type limitOutcome struct {
	status int   // the status read; 0: no response
	closed bool  // the server closed the connection after it
	err    error // the handler's read or write error, if the probe waited for one
}

// limitCheck is a further claim of a row, checked over a socket with its
// own configuration.
type limitCheck struct {
	name string
	cfg  connector.Config
	run  func(t *testing.T, s *limitServer)
}

var defaults = (&connector.Config{}).Limits()

// limitRows is the table docs/security.md shows.
var limitRows = []limitRow{
	{
		field: "MaxHeaderBytes", what: "request line plus header fields", def: size(int64(defaults.MaxHeaderBytes)) + " (negative: the same)",
		cfg:     connector.Config{MaxHeaderBytes: 1024},
		answers: []limitAnswer{{text: "{status}, {closed}", status: 431, end: "closed", probe: sendRaw("GET /hello HTTP/1.1\r\nHost: a\r\nX-A: " + strings.Repeat("a", 2000) + "\r\n\r\n")}},
		checks: []limitCheck{{"a head of exactly the default passes, one byte more does not", connector.Config{}, func(t *testing.T, s *limitServer) {
			expectStatus(t, s, headOfLen(defaults.MaxHeaderBytes), 200)
			expectStatus(t, s, headOfLen(defaults.MaxHeaderBytes+1), 431)
		}}, {"negative is the default", connector.Config{MaxHeaderBytes: -1}, func(t *testing.T, s *limitServer) {
			expectStatus(t, s, headOfLen(defaults.MaxHeaderBytes), 200)
			expectStatus(t, s, headOfLen(defaults.MaxHeaderBytes+1), 431)
		}}},
	},
	{
		field: "MaxURILength", what: "the request-target", def: size(int64(defaults.MaxURILength)) + " (negative: the same)",
		cfg:     connector.Config{MaxURILength: 100},
		answers: []limitAnswer{{text: "{status}, {closed}", status: 414, end: "closed", probe: sendRaw("GET /" + strings.Repeat("a", 200) + " HTTP/1.1\r\nHost: a\r\n\r\n")}},
		checks: []limitCheck{{"a target of exactly the default passes, one byte more does not", connector.Config{}, func(t *testing.T, s *limitServer) {
			target := func(n int) string { return "/hello?q=" + strings.Repeat("a", n-len("/hello?q=")) }
			expectStatus(t, s, "GET "+target(defaults.MaxURILength)+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200)
			expectStatus(t, s, "GET "+target(defaults.MaxURILength+1)+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 414)
		}}, {"negative is the default", connector.Config{MaxURILength: -1}, func(t *testing.T, s *limitServer) {
			target := func(n int) string { return "/hello?q=" + strings.Repeat("a", n-len("/hello?q=")) }
			expectStatus(t, s, "GET "+target(defaults.MaxURILength)+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200)
			expectStatus(t, s, "GET "+target(defaults.MaxURILength+1)+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 414)
		}}},
	},
	{
		field: "MaxHeaders", what: "number of header fields", def: strconv.Itoa(defaults.MaxHeaders) + " (negative: the same)",
		cfg:     connector.Config{MaxHeaders: 5},
		answers: []limitAnswer{{text: "{status}, {closed}", status: 431, end: "closed", probe: sendRaw("GET /hello HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-A: a\r\n", 5) + "\r\n")}},
		checks: []limitCheck{{"exactly the default number of fields (Host among them) passes, one more does not", connector.Config{}, func(t *testing.T, s *limitServer) {
			fields := func(n int) string {
				return "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + strings.Repeat("X-A: a\r\n", n-2) + "\r\n"
			}
			expectStatus(t, s, fields(defaults.MaxHeaders), 200)
			expectStatus(t, s, fields(defaults.MaxHeaders+1), 431)
		}}},
	},
	{
		field: "MaxBodyBytes", what: "one request body", def: size(defaults.MaxBodyBytes) + " (negative: none)",
		cfg: connector.Config{MaxBodyBytes: 1000},
		answers: []limitAnswer{
			{text: "a declared length: {status} before the handler runs", status: 413, probe: func(t *testing.T, s *limitServer) limitOutcome {
				o := sendRaw("POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n")(t, s)
				if n := s.ran.Load(); n != 0 {
					t.Errorf("the handler ran %d times", n)
				}
				return o
			}},
			{text: "a chunked body: the handler's read fails with {err}", fails: "read", err: api.ErrBodyTooLarge,
				probe: handlerFails(sendRaw("POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + strings.Repeat("y", 2000) + "\r\n0\r\n\r\n"))},
		},
		checks: []limitCheck{
			{"a declared length of exactly the default runs the handler, one byte more is 413", connector.Config{}, func(t *testing.T, s *limitServer) {
				expectStatus(t, s, "POST /peek HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: "+strconv.FormatInt(defaults.MaxBodyBytes, 10)+"\r\n\r\nx", 200)
				expectStatus(t, s, "POST /peek HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: "+strconv.FormatInt(defaults.MaxBodyBytes+1, 10)+"\r\n\r\nx", 413)
			}},
			{"negative: none", connector.Config{MaxBodyBytes: -1}, func(t *testing.T, s *limitServer) {
				expectStatus(t, s, "POST /peek HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: "+strconv.FormatInt(4*defaults.MaxBodyBytes, 10)+"\r\n\r\nx", 200)
			}},
		},
	},
	{
		field: "ReadHeaderTimeout", what: "from a head's first byte to its end; over TLS also the handshake, from the connection's accept", def: dur(defaults.ReadHeaderTimeout) + negativeNone,
		cfg: connector.Config{ReadHeaderTimeout: 200 * time.Millisecond},
		// A byte every 50 ms: each read is quick, the head as a whole is not.
		answers: []limitAnswer{{text: "{status}, {closed}", status: 408, end: "closed", probe: trickle("GET /hello HTTP/1.1\r\nHost: a\r\nX-A: ", strings.Repeat("a", 1000), 50*time.Millisecond)}},
		checks: []limitCheck{{"negative: none", connector.Config{ReadHeaderTimeout: -time.Second}, func(t *testing.T, s *limitServer) {
			o := trickle("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n", "\r\n", 100*time.Millisecond)(t, s)
			if o.status != 200 {
				t.Errorf("a head whose end came after 200 ms got %d, want 200", o.status)
			}
		}}},
	},
	{
		field: "ReadTimeout", what: "each wait for more of a request body", def: dur(defaults.ReadTimeout) + negativeNone,
		cfg:     connector.Config{ReadTimeout: 200 * time.Millisecond, MinRequestDataRate: -1},
		answers: []limitAnswer{{text: "the handler's read fails ({status} if nothing was written)", status: 408, fails: "read", probe: handlerFails(sendRaw("POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"))}},
		checks: []limitCheck{{"negative: none", connector.Config{ReadTimeout: -time.Second, MinRequestDataRate: -1}, func(t *testing.T, s *limitServer) {
			o := trickle("POST /read HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 3\r\n\r\n", "abc", 100*time.Millisecond)(t, s)
			if o.status != 200 {
				t.Errorf("a body a byte every 100 ms got %d, want 200", o.status)
			}
		}}},
	},
	{
		field: "MinRequestDataRate", what: "bytes per second of waiting for a request body, after `DataRateGrace`", def: fmt.Sprintf("%d B/s (negative: none)", defaults.MinRequestDataRate),
		cfg: connector.Config{DataRateGrace: 200 * time.Millisecond},
		// 20 B/s, each byte well within ReadTimeout.
		answers: []limitAnswer{{text: "the handler's read fails with a {status} wrapping {err}, {closed}", status: 408, end: "closed", fails: "read", err: connector.ErrTooSlow,
			probe: handlerFails(trickle("POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", strings.Repeat("x", 1000), 50*time.Millisecond))}},
		test: "TestSlowBodyReadFlood",
		checks: []limitCheck{{"negative: none", connector.Config{DataRateGrace: 200 * time.Millisecond, MinRequestDataRate: -1}, func(t *testing.T, s *limitServer) {
			o := trickle("POST /read HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 10\r\n\r\n", strings.Repeat("x", 10), 50*time.Millisecond)(t, s)
			if o.status != 200 {
				t.Errorf("a 20 B/s body for 500 ms got %d, want 200", o.status)
			}
		}}},
	},
	{
		field: "ReadBodyTimeout", what: "a whole request body, from the handler's first read", def: orNone(defaults.ReadBodyTimeout) + " (the data rate bounds it)",
		cfg: connector.Config{ReadBodyTimeout: 300 * time.Millisecond, MinRequestDataRate: -1},
		answers: []limitAnswer{{text: "as `MinRequestDataRate`", status: 408, end: "closed", fails: "read", err: connector.ErrTooSlow,
			probe: handlerFails(trickle("POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", strings.Repeat("x", 1000), 50*time.Millisecond))}},
	},
	{
		field: "WriteTimeout", what: "each write of a response, in pieces of at most 64 KiB", def: dur(defaults.WriteTimeout) + negativeNone,
		cfg:     connector.Config{WriteTimeout: 200 * time.Millisecond, MinResponseDataRate: -1},
		answers: []limitAnswer{{text: "the write fails, {closed}", end: "closed", fails: "write", probe: stalledReader}},
		checks: []limitCheck{{"negative: none", connector.Config{WriteTimeout: -time.Second, MinResponseDataRate: -1}, func(t *testing.T, s *limitServer) {
			readFloodLate(t, s, 200*time.Millisecond)
		}}},
	},
	{
		field: "MinResponseDataRate", what: "bytes per second of waiting for the client to take a response, after `DataRateGrace`", def: fmt.Sprintf("%d B/s (negative: none)", defaults.MinResponseDataRate),
		// The socket buffers are small (see serveLimits), and what they take
		// at once earns little waiting at 1 MiB/s.
		cfg:     connector.Config{DataRateGrace: 200 * time.Millisecond, MinResponseDataRate: 1 << 20},
		answers: []limitAnswer{{text: "the write fails with {err}, the response is aborted and the {closed}", end: "closed", fails: "write", err: connector.ErrTooSlow, probe: stalledReader}},
		test:    "TestSlowReaderFlood",
		checks: []limitCheck{{"negative: none", connector.Config{DataRateGrace: 200 * time.Millisecond, MinResponseDataRate: -1}, func(t *testing.T, s *limitServer) {
			readFloodLate(t, s, 600*time.Millisecond) // three graces of reading nothing
		}}},
	},
	{
		field: "DataRateGrace", what: "waiting each direction may do before its minimum rate applies", def: dur(defaults.DataRateGrace) + " (negative: none, so neither minimum rate applies)",
		checks: []limitCheck{
			{"a body slower than the minimum rate is read to its end within the grace", connector.Config{DataRateGrace: 2 * time.Second}, func(t *testing.T, s *limitServer) {
				o := trickle("POST /read HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 10\r\n\r\n", strings.Repeat("x", 10), 50*time.Millisecond)(t, s)
				if o.status != 200 {
					t.Errorf("a 20 B/s body for 500 ms within a 2 s grace got %d, want 200", o.status)
				}
			}},
			{"negative: none, so neither minimum rate applies", connector.Config{DataRateGrace: -time.Second, MinRequestDataRate: 1 << 30, MinResponseDataRate: 1 << 30}, func(t *testing.T, s *limitServer) {
				o := trickle("POST /read HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 3\r\n\r\n", "abc", 100*time.Millisecond)(t, s)
				if o.status != 200 {
					t.Errorf("a body a byte every 100 ms, far below 1 GiB/s, got %d, want 200", o.status)
				}
				readFloodLate(t, s, 200*time.Millisecond)
			}},
		},
	},
	{
		field: "IdleTimeout", what: "waiting for the next request on a keep-alive connection", def: dur(defaults.IdleTimeout) + negativeNone,
		cfg: connector.Config{IdleTimeout: 200 * time.Millisecond},
		answers: []limitAnswer{{text: "{closed}", end: "closed", probe: func(t *testing.T, s *limitServer) limitOutcome {
			nc, br := s.dial(t)
			io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
			start := time.Now()
			o := readOutcome(nc, br, 3*time.Second)
			if o.status != 200 {
				t.Fatalf("GET /hello got %d", o.status)
			}
			if d := time.Since(start); o.closed && d < 100*time.Millisecond {
				t.Errorf("closed %v after the answer, before IdleTimeout (200 ms)", d)
			}
			o.status = 0 // the answer was the handler's
			return o
		}}},
		checks: []limitCheck{{"negative: none", connector.Config{IdleTimeout: -time.Second}, func(t *testing.T, s *limitServer) {
			nc, br := s.dial(t)
			nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
			if err := getHello(nc, br); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			if err := getHello(nc, br); err != nil {
				t.Errorf("a second request 200 ms after the first: %v, want it served on the connection", err)
			}
		}}},
	},
	{
		field: "MaxDiscardBytes", what: "unread body read and dropped to keep a connection", def: size(defaults.MaxDiscardBytes),
		cfg: connector.Config{MaxDiscardBytes: 1000},
		answers: []limitAnswer{{text: "{closed} instead (the head of a response finished with more of a Content-Length body unread says `Connection: close`, as net/http's does, unless it went out before: `TestUnreadBodyClose`), lingering: the sending side is shut first and what the client still sends is dropped until it closes, for at most 500 ms, so that it reads its answer rather than a reset, as net/http's server does (`TestLingerClose`; the same for an answer to a refused head or body)", end: "closed", probe: func(t *testing.T, s *limitServer) limitOutcome {
			o := sendRaw("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n"+strings.Repeat("x", 5000))(t, s)
			if o.status != 200 {
				t.Errorf("status %d, want the handler's 200", o.status)
			}
			return o
		}}},
		checks: []limitCheck{{"an unread body within it is dropped and the connection kept", connector.Config{MaxDiscardBytes: 1000}, func(t *testing.T, s *limitServer) {
			resps, _, closed := roundTrip(t, s.addr, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 900\r\n\r\n"+strings.Repeat("x", 900)+"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", 2)
			if resps[0].StatusCode != 200 || resps[1].StatusCode != 200 || closed {
				t.Errorf("got %d, %d, closed %v; want 200, 200 on a kept connection", resps[0].StatusCode, resps[1].StatusCode, closed)
			}
		}}},
	},
	{
		field: "DiscardTimeout", what: "reading and dropping that unread body", def: dur(defaults.DiscardTimeout) + " (negative: none; `MaxDiscardBytes` still bounds it)",
		cfg: connector.Config{DiscardTimeout: 200 * time.Millisecond, MinRequestDataRate: -1},
		// 100 bytes a byte every 30 ms would take 3 s.
		answers: []limitAnswer{{text: "{closed} instead, lingering as past `MaxDiscardBytes` (`TestDiscardTimeoutLingers`); likewise under a flood", end: "closed", probe: func(t *testing.T, s *limitServer) limitOutcome {
			start := time.Now()
			o := trickle("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n", strings.Repeat("x", 100), 30*time.Millisecond)(t, s)
			if o.status != 200 {
				t.Errorf("status %d, want the handler's 200", o.status)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("closed after %v, the body's whole time", d)
			}
			return o
		}}},
		test: "TestSlowBodyDiscardedFlood",
		checks: []limitCheck{{"negative: none", connector.Config{DiscardTimeout: -time.Second}, func(t *testing.T, s *limitServer) {
			nc, br := s.dial(t)
			io.WriteString(nc, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 200\r\n\r\n"+strings.Repeat("x", 100))
			if status := readStatus(nc, br); status != 200 {
				t.Fatalf("POST /hello got %d, want the handler's 200", status)
			}
			time.Sleep(200 * time.Millisecond)
			io.WriteString(nc, strings.Repeat("x", 100))
			if err := getHello(nc, br); err != nil {
				t.Errorf("a request once the unread body came whole, 200 ms late: %v, want it served on the connection", err)
			}
		}}},
	},
	{
		field: "MaxConnections", what: "connections open at once", def: maxConnsDefault(),
		cfg: connector.Config{MaxConnections: 1},
		answers: []limitAnswer{{text: "the server stops accepting until one closes; new connections wait in the listen backlog (Jetty's ConnectionLimit). A listener on the portable connector (not a `*net.TCPListener`, or not Linux) may take one more, as a blocking acceptor does. A hijacked connection stops counting at the Hijack, as on net/http's server, even while the handler that took it over runs, and so does a WebSocket on the portable connector (hijacked there); on the epoll connector a WebSocket (a Tunnel) counts until it closes",
			probe: func(t *testing.T, s *limitServer) limitOutcome {
				first, br := s.dial(t)
				if err := getHello(first, br); err != nil {
					t.Fatal(err)
				}
				waiting, wbr := s.dial(t) // completes in the kernel's backlog
				io.WriteString(waiting, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
				waiting.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
				if _, err := wbr.Peek(1); err == nil {
					t.Errorf("a connection over the limit was served while the first was open")
				}
				first.Close()
				o := readOutcome(waiting, wbr, 3*time.Second)
				if o.status != 200 {
					t.Errorf("the waiting connection got %d once the first closed, want 200", o.status)
				}
				return o
			}}},
		test: "TestMaxConnections",
	},
	{
		what: "Chunk-size line", def: "4 KiB",
		answers: []limitAnswer{{text: "{status}, {closed}", status: 400, end: "closed", probe: sendRaw(chunkLine(4<<10 + 1))}},
		checks: []limitCheck{{"a line of exactly 4 KiB passes", connector.Config{}, func(t *testing.T, s *limitServer) {
			expectStatus(t, s, chunkLine(4<<10), 200)
		}}},
	},
	{
		what: "Chunk framing (size lines with their extensions) beyond the data it frames", def: "32 bytes a chunk plus its data's length, and 16 KiB more over the body",
		answers: []limitAnswer{{text: "the handler's read fails with a {status}, {closed}", status: 400, end: "closed", fails: "read",
			probe: handlerFails(sendRaw("POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
				strings.Repeat("1;e="+strings.Repeat("a", 4000)+"\r\nz\r\n", 8) + "0\r\n\r\n"))}},
		test: "TestChunkExtensionOverhead",
	},
	{
		what: "Trailer section (chunked bodies)", def: "`MaxHeaderBytes` and `MaxHeaders`, as a head",
		cfg: connector.Config{MaxHeaderBytes: 1024, MaxHeaders: 5},
		answers: []limitAnswer{{text: "the handler's read fails with a {status}, {closed}", status: 431, end: "closed", fails: "read",
			probe: func(t *testing.T, s *limitServer) limitOutcome {
				trailer := func(fields string) string {
					return "POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n" + fields + "\r\n"
				}
				bytes := handlerFails(sendRaw(trailer("X-T: "+strings.Repeat("a", 2000)+"\r\n")))(t, s)
				fields := handlerFails(sendRaw(trailer(strings.Repeat("X-T: a\r\n", 6))))(t, s)
				if bytes.status != fields.status || bytes.closed != fields.closed || api.StatusOf(bytes.err) != api.StatusOf(fields.err) {
					t.Errorf("over MaxHeaderBytes: %+v; over MaxHeaders: %+v", bytes, fields)
				}
				return bytes
			}}},
		test: "TestTrailerLimitsFollowConfig",
	},
}

// TestLimitsOverSockets sends each row of limitRows over a real
// connection, on both connectors, and checks that the client gets what the
// row says: the status, whether the connection closes, and what the
// handler's read or write fails with. It also runs each row's checks of
// its default and its other claims.
func TestLimitsOverSockets(t *testing.T) {
	for _, row := range limitRows {
		t.Run(row.name(), func(t *testing.T) {
			eachConnector(t, row.cfg, func(t *testing.T, cfg connector.Config) {
				for i, a := range row.answers {
					t.Run(strconv.Itoa(i), func(t *testing.T) {
						s := serveLimits(t, cfg)
						o := a.probe(t, s)
						checkAnswer(t, a, o)
						s.stillServes(t)
					})
				}
				for _, ch := range row.checks {
					t.Run(ch.name, func(t *testing.T) {
						ccfg := ch.cfg
						ccfg.Portable = cfg.Portable
						s := serveLimits(t, ccfg)
						ch.run(t, s)
						s.stillServes(t)
					})
				}
			})
		})
	}
}

// checkAnswer holds o to what a states.
func checkAnswer(t *testing.T, a limitAnswer, o limitOutcome) {
	t.Helper()
	if a.status != 0 && o.status != a.status {
		t.Errorf("status %d, the table says %d", o.status, a.status)
	}
	switch a.end {
	case "closed":
		if !o.closed {
			t.Errorf("the connection stayed open; the table says it closes")
		}
	case "kept":
		if o.closed {
			t.Errorf("the connection closed; the table says it is kept")
		}
	}
	if a.fails != "" && o.err == nil {
		t.Errorf("the handler's %s did not fail", a.fails)
	}
	if a.fails != "" && a.status != 0 && api.StatusOf(o.err) != a.status {
		t.Errorf("the handler's %s failed with %v (status %d), the table says %d", a.fails, o.err, api.StatusOf(o.err), a.status)
	}
	if a.err != nil && !errors.Is(o.err, a.err) {
		t.Errorf("the handler's %s failed with %v, the table says it wraps %v", a.fails, o.err, a.err)
	}
}

// docs/security.md shows limitRows as they are: the table between its
// limits markers is generated from it (go test ./connector -run
// TestLimitsTable -update-docs rewrites it). Each row's answer states
// exactly what TestLimitsOverSockets checks, and every test it names
// exists.
func TestLimitsTable(t *testing.T) {
	for _, row := range limitRows {
		for _, a := range row.answers {
			if row.sameAs(a) != "" {
				continue // TestLimitsSameAs holds it to the row it names
			}
			for _, need := range []struct {
				set         bool
				placeholder string
			}{
				{a.status != 0, "{status}"}, {a.end == "closed", "{closed}"}, {a.end == "kept", "{kept}"}, {a.err != nil, "{err}"},
				{a.fails == "read", "read fails"}, {a.fails == "write", "write fails"},
			} {
				if has := strings.Contains(a.text, need.placeholder); need.set != has {
					t.Errorf("%s: %q and its checked answer disagree on %s", row.name(), a.text, need.placeholder)
				}
			}
		}
	}
	table := limitsTable()
	declared := wharftest.DeclaredTests(t)
	for _, m := range regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(table, -1) {
		if !declared[m[1]] {
			t.Errorf("the limits table names %s, which no connector test declares", m[1])
		}
	}
	wharftest.DocSection(t, "../docs/security.md", "limits", table, *updateDocs)
}

// sameAs returns the field whose answer a's text refers to ("as
// `MinRequestDataRate`"), after checking that the two answers agree.
func (row limitRow) sameAs(a limitAnswer) string {
	m := regexp.MustCompile("^as `(\\w+)`$").FindStringSubmatch(a.text)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestLimitsSameAs holds an answer that says "as `Field`" to that row's
// answer.
func TestLimitsSameAs(t *testing.T) {
	for _, row := range limitRows {
		for _, a := range row.answers {
			ref := row.sameAs(a)
			if ref == "" {
				continue
			}
			found := false
			for _, other := range limitRows {
				if other.field != ref {
					continue
				}
				found = true
				b := other.answers[0]
				if len(other.answers) != 1 || a.status != b.status || a.end != b.end || a.fails != b.fails || a.err != b.err {
					t.Errorf("%s says its answer is as %s's, but checks %+v against %+v", row.field, ref, a, b)
				}
			}
			if !found {
				t.Errorf("%s refers to %s, which has no row", row.field, ref)
			}
		}
	}
}

func (row limitRow) name() string {
	if row.field == "" {
		return row.what
	}
	return row.field
}

// limitsTable renders limitRows as docs/security.md's Markdown table.
func limitsTable() string {
	var b strings.Builder
	b.WriteString("\n| Limit | Default (zero value) | Beyond it |\n|---|---|---|\n")
	for _, row := range limitRows {
		limit := row.what
		if row.field != "" {
			limit = "`" + row.field + "`: " + row.what
		}
		var parts []string
		for _, a := range row.answers {
			parts = append(parts, renderAnswer(a))
		}
		beyond := strings.Join(parts, "; ")
		if beyond == "" {
			beyond = "—"
		}
		if row.test != "" {
			beyond += " (`" + row.test + "`)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", limit, row.def, beyond)
	}
	b.WriteString("\n")
	return b.String()
}

func renderAnswer(a limitAnswer) string {
	return strings.NewReplacer(
		"{status}", strconv.Itoa(a.status),
		"{closed}", "connection closed",
		"{kept}", "connection kept",
		"{err}", "`"+errName(a.err)+"`",
	).Replace(a.text)
}

func errName(err error) string {
	switch err {
	case api.ErrBodyTooLarge:
		return "api.ErrBodyTooLarge"
	case connector.ErrTooSlow:
		return "connector.ErrTooSlow"
	}
	return fmt.Sprint(err)
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprint(n)
}

func dur(d time.Duration) string {
	if d%time.Second != 0 {
		return d.String()
	}
	return fmt.Sprintf("%d s", int(d/time.Second))
}

func orNone(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return dur(d)
}

func maxConnsDefault() string {
	if (connector.Config{}).MaxConnections == 0 {
		return "none; the process's file limit"
	}
	return strconv.Itoa((connector.Config{}).MaxConnections)
}

// headOfLen is a GET /hello head of exactly n bytes, final CRLF included.
func headOfLen(n int) string {
	head := "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Pad: "
	return head + strings.Repeat("p", n-len(head)-len("\r\n\r\n")) + "\r\n\r\n"
}

// chunkLine is a chunked POST /read whose first chunk-size line (size and
// extension, CRLF not counted) is n bytes long.
func chunkLine(n int) string {
	return "POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;e=" + strings.Repeat("a", n-len("3;e=")) + "\r\nabc\r\n0\r\n\r\n"
}

// limitServer serves the probes' handlers with one configuration. Its
// listener's send buffer is small (16 KiB), so that a client that stops
// reading stalls the server's writes at once.
type limitServer struct {
	addr string
	c    *container.Container
	ran  atomic.Int32 // requests that reached /read
	errs chan error   // each /read's body error and each /flood's write error
}

func serveLimits(t *testing.T, cfg connector.Config) *limitServer {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 16<<10)
		})
	}}
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &limitServer{errs: make(chan error, 16)}
	s.c = container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	s.c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	s.c.HandleFunc("/read", func(w api.Response, r *api.Request) error {
		s.ran.Add(1)
		b, err := io.ReadAll(r.Body())
		s.errs <- err
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "read %d", len(b))
		return err
	})
	s.c.HandleFunc("/peek", func(w api.Response, r *api.Request) error {
		if _, err := io.ReadFull(r.Body(), make([]byte, 1)); err != nil {
			return err
		}
		_, err := w.WriteString("peeked")
		return err
	})
	s.c.HandleFunc("/flood", func(w api.Response, r *api.Request) error {
		var err error
		for p := mib; len(p) > 0 && err == nil; p = p[min(len(p), 64<<10):] {
			_, err = w.Write(p[:min(len(p), 64<<10)])
		}
		if err == nil {
			err = w.Flush()
		}
		s.errs <- err
		return err
	})
	s.addr = wharftest.ListenOn(t, s.c, l)
	return s
}

func (s *limitServer) dial(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc := wharftest.Dial(t, s.addr, 0)
	return nc, bufio.NewReader(nc)
}

// dialSmall dials with a 4 KiB receive buffer.
func (s *limitServer) dialSmall(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := wharftest.SmallReceiveBuffer(4 << 10)
	nc, err := d.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc, bufio.NewReader(nc)
}

// handlerErr waits for the next error (or nil) a handler reports.
func (s *limitServer) handlerErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the handler reported nothing within 5 s")
		return nil
	}
}

// stillServes checks that a new connection is served after a probe.
func (s *limitServer) stillServes(t *testing.T) {
	t.Helper()
	if resps, bodies, _ := roundTrip(t, s.addr, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1); resps[0].StatusCode != 200 || bodies[0] != "hello" {
		t.Errorf("a good request afterwards got %d %q", resps[0].StatusCode, bodies[0])
	}
}

// readOutcome reads a response within bound (its body whole or cut short)
// and then whether the server closes the connection within bound.
func readOutcome(nc net.Conn, br *bufio.Reader, bound time.Duration) limitOutcome {
	var o limitOutcome
	nc.SetReadDeadline(time.Now().Add(bound))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		o.closed = !isTimeout(err)
		return o
	}
	o.status = resp.StatusCode
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		o.closed = !isTimeout(err)
		return o
	}
	_, err = br.ReadByte()
	o.closed = err != nil && !isTimeout(err) // EOF, or a reset
	return o
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sendRaw sends raw on a new connection and reads the outcome.
func sendRaw(raw string) func(t *testing.T, s *limitServer) limitOutcome {
	return func(t *testing.T, s *limitServer) limitOutcome {
		nc, br := s.dial(t)
		if _, err := io.WriteString(nc, raw); err != nil {
			t.Fatal(err)
		}
		return readOutcome(nc, br, 3*time.Second)
	}
}

// trickle sends head, then body a byte every interval, and reads the
// outcome meanwhile; the trickle stops when the server answers or closes.
func trickle(head, body string, interval time.Duration) func(t *testing.T, s *limitServer) limitOutcome {
	return func(t *testing.T, s *limitServer) limitOutcome {
		nc, br := s.dial(t)
		if _, err := io.WriteString(nc, head); err != nil {
			t.Fatal(err)
		}
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for i := range len(body) {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := nc.Write([]byte{body[i]}); err != nil {
					return
				}
			}
		}()
		o := readOutcome(nc, br, 3*time.Second)
		close(stop)
		<-done
		return o
	}
}

// handlerFails runs probe and adds the handler's error to its outcome.
func handlerFails(probe func(t *testing.T, s *limitServer) limitOutcome) func(t *testing.T, s *limitServer) limitOutcome {
	return func(t *testing.T, s *limitServer) limitOutcome {
		o := probe(t, s)
		o.err = s.handlerErr(t)
		return o
	}
}

// stalledReader asks for /flood (1 MiB) through a 4 KiB receive buffer
// and reads nothing until the handler's write has failed; then it reads
// what the server sent, and reports the connection closed if it ended
// before the whole response (aborted).
func stalledReader(t *testing.T, s *limitServer) limitOutcome {
	nc, br := s.dialSmall(t)
	io.WriteString(nc, "GET /flood HTTP/1.1\r\nHost: a\r\n\r\n")
	err := s.handlerErr(t)
	nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, rerr := http.ReadResponse(br, nil)
	if rerr != nil {
		return limitOutcome{closed: !isTimeout(rerr), err: err}
	}
	n, rerr := io.Copy(io.Discard, resp.Body)
	if rerr == nil && n == int64(len(mib)) {
		t.Errorf("the whole response arrived")
	}
	return limitOutcome{closed: rerr != nil && !isTimeout(rerr), err: err}
}

// negativeNone is what a timeout row's default adds: a negative value
// turns the timeout off, as in net/http's server.
const negativeNone = " (negative: none)"

// readFloodLate asks for /flood (1 MiB) through a 4 KiB receive buffer,
// reads nothing for pause, then wants all of it and the handler's writes
// to have succeeded.
func readFloodLate(t *testing.T, s *limitServer, pause time.Duration) {
	t.Helper()
	nc, br := s.dialSmall(t)
	io.WriteString(nc, "GET /flood HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	time.Sleep(pause)
	nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != int64(len(mib)) {
		t.Errorf("read %d of %d bytes: %v", n, len(mib), err)
	}
	if err := s.handlerErr(t); err != nil {
		t.Errorf("the handler's write failed: %v", err)
	}
}

// readStatus reads a response and its body, leaving the connection to
// the next request, and returns its status (0: none came).
func readStatus(nc net.Conn, br *bufio.Reader) int {
	nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// expectStatus sends raw on a new connection and wants status.
func expectStatus(t *testing.T, s *limitServer, raw string, status int) {
	t.Helper()
	if o := sendRaw(raw)(t, s); o.status != status {
		t.Errorf("%.40q…: status %d, want %d", raw, o.status, status)
	}
}
