package websocket_test

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the WebSocket limits table in docs/security.md")

// wsLimitRow is one row of docs/security.md's WebSocket limits table, as
// the doc shows it. TestWSLimitsTable renders the table from wsLimitRows;
// TestWSLimitsValues checks each row's default against the websocket
// package's Default constants and that the tests which check its answer
// exist.
type wsLimitRow struct {
	limit, def, beyond string
	// want is the default cell rendered from the code.
	want string
	// tests check the row's answer (and its timing); each must exist.
	tests []string
	// unchecked says what of the row no test checks, and why.
	unchecked string
}

var keepAlive = websocket.DefaultPingInterval + websocket.DefaultPongTimeout

var wsLimitRows = []wsLimitRow{
	{
		limit: "`ReadLimit`: one message (a compressed one as it inflates)", def: "1 MiB", beyond: "close 1009 \"message too big\" (`ErrTooBig`)",
		want:  wsSize(websocket.DefaultReadLimit),
		tests: []string{"TestLimits", "TestCompressionBomb"},
	},
	{
		limit: "`SendQueue`: messages queued to a slow reader", def: "256",
		beyond: "`Send` returns `ErrQueueFull`; a `Close` after it (or `CloseNow`) drops the queue, so the close frame (e.g. 1008) is what the peer reads next",
		want:   fmt.Sprint(websocket.DefaultSendQueue),
		tests:  []string{"TestSendQueue", "TestCloseAfterQueueOrNow", "TestSlowClientGetsPolicyCloseRealSocket"},
	},
	{
		limit:  "Keep-alive: nothing at all from the peer (no message, pong or ping) for `PingInterval` + `PongTimeout`",
		def:    "30 s + 15 s = 45 s; a ping goes out every `PingInterval`, counted from the previous one, so a live peer has `PongTimeout` to answer",
		beyond: "close 1001 \"keep-alive timeout\" at once (`ErrPongTimeout`). A pong or ping sets the deadline exactly; a data message moves it only once less than 45 s is left, to 1.25 × 45 s",
		want: wsDur(websocket.DefaultPingInterval) + " + " + wsDur(websocket.DefaultPongTimeout) + " = " + wsDur(keepAlive) +
			"; a ping goes out every `PingInterval`, counted from the previous one, so a live peer has `PongTimeout` to answer",
		tests: []string{"TestTimeoutsAsDocumented", "TestLimits", "TestRefreshDeadline"},
	},
	{
		limit: "`IdleTimeout`: no frame either way", def: "5 min; the keep-alive's pings count, so with `PingInterval` under it a live connection is never idle",
		beyond: "close 1001 \"idle\" (`ErrIdle`)",
		want:   wsDur(websocket.DefaultIdleTimeout) + "; the keep-alive's pings count, so with `PingInterval` under it a live connection is never idle",
		tests:  []string{"TestTimeoutsAsDocumented", "TestLimits"},
	},
	{
		limit: "`WriteTimeout`: a write the peer does not take", def: "10 s; renewed once half is gone, so a write gets 5 to 10 s",
		beyond: "connection dropped without a close frame (`ErrAbnormalClosure`)",
		want:   wsDur(websocket.DefaultWriteTimeout) + "; renewed once half is gone, so a write gets " + wsDur(websocket.DefaultWriteTimeout / 2)[:1] + " to " + wsDur(websocket.DefaultWriteTimeout),
		tests:  []string{"TestWriteTimeoutAsDocumented"},
	},
	{
		limit: "`CloseTimeout`: the peer's answer to the server's close frame", def: "5 s",
		beyond: "TCP connection closed (`ErrCloseTimeout`); not waited for when the peer closed first or the connection could not be read any further (keep-alive, 1009, 1007, 1002)",
		want:   wsDur(websocket.DefaultCloseTimeout),
		tests:  []string{"TestTimeoutsAsDocumented", "TestShutdownWaitsCloseTimeoutAtMost", "TestOneCloseFramePerDirection"},
	},
}

func wsLimitsTable() string {
	var b strings.Builder
	b.WriteString("\n| Limit | Default | Beyond it |\n|---|---|---|\n")
	for _, r := range wsLimitRows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.limit, r.def, r.beyond)
	}
	b.WriteString("\n")
	return b.String()
}

// TestWSLimitsTable holds docs/security.md's WebSocket table to
// wsLimitRows.
func TestWSLimitsTable(t *testing.T) {
	wharftest.DocSection(t, "../docs/security.md", "ws-limits", wsLimitsTable(), *updateDocs)
}

// TestWSLimitsValues checks each row's default against the package's
// Default constants, the keep-alive arithmetic the answer states, and that
// the tests each row relies on exist.
func TestWSLimitsValues(t *testing.T) {
	declared := wharftest.DeclaredTests(t)
	for _, r := range wsLimitRows {
		t.Run(r.limit, func(t *testing.T) {
			if r.def != r.want {
				t.Errorf("the table says %q, the code %q", r.def, r.want)
			}
			names := r.tests
			for _, m := range regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(r.beyond, -1) {
				names = append(names, m[1])
			}
			if len(names) == 0 && r.unchecked == "" {
				t.Error("the answer is named to no test")
			}
			for _, n := range names {
				if !declared[n] {
					t.Errorf("the row relies on %s, which no test in websocket declares", n)
				}
			}
		})
	}
	if b := wsLimitRows[2].beyond; !strings.Contains(b, "less than "+wsDur(keepAlive)+" is left, to 1.25 × "+wsDur(keepAlive)) {
		t.Errorf("the keep-alive answer %q does not state PingInterval + PongTimeout (%s)", b, wsDur(keepAlive))
	}
}

func wsSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func wsDur(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d s", d/time.Second)
}
