// Package delivery is what the chat load generators (wharf-chatload,
// wharf-pollload) measure and print as JSON, and what wharf-bench reads
// back: one definition for both sides of that JSON, and one way of turning
// the recorded latencies into it.
package delivery

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Report is the delivery of chat messages: how many, how fast, how late.
type Report struct {
	Rate                          float64 // messages sent per second, as asked
	Duration                      time.Duration
	Sent                          int64   // measured messages sent
	Expected, Received            int64   // their deliveries
	Lost                          int64   // Expected - Received
	DeliveredPerSec               float64 // Received / Duration
	Min, Avg, P50, P99, P999, Max time.Duration
}

// NewHistogram returns a histogram to record delivery latencies in, in
// microseconds, from 1 µs to a minute.
func NewHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, 60_000_000, 3) }

// Summarize makes the Report of a run of duration d at rate: sent measured
// messages, expected and received deliveries, and their latencies in h.
func Summarize(rate float64, d time.Duration, sent, expected, received int64, h *hdrhistogram.Histogram) Report {
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	return Report{
		Rate: rate, Duration: d,
		Sent: sent, Expected: expected, Received: received, Lost: expected - received,
		DeliveredPerSec: float64(received) / d.Seconds(),
		Min:             us(h.Min()), Avg: time.Duration(h.Mean() * float64(time.Microsecond)),
		P50: us(h.ValueAtQuantile(50)), P99: us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)), Max: us(h.Max()),
	}
}

// Chat is wharf-chatload's report: the WebSocket chat.
type Chat struct {
	Clients, Rooms, Per int
	Report
	ConnectErrors int
	// SendLagMax is how late the most delayed message was sent against
	// its schedule. Latencies are measured from the time each was sent,
	// so a sender held up (by the server's slowness to take its writes,
	// or by its own core) would hide that wait from them: this shows it.
	SendLagMax time.Duration
}

// Poll is wharf-pollload's report: the long-poll chat on one or more
// processes.
type Poll struct {
	Members, Processes int
	Report
	Duplicates int64 // deliveries of a message a member had already got (not in Received)
	BusLost    int64 // the processes' own count of events their bus lost
	PollErrors int64 // polls that failed (connection errors, non-200)
}

// SSE is wharf-sseload's report: events published over HTTP and
// delivered on Server-Sent Events streams.
type SSE struct {
	Streams, Topics, Processes int
	Report
	Opened, OpenErrors int   // streams open at the start, and those that failed to open
	Ended              int64 // streams the server ended (or that failed) before the end
	Duplicates         int64 // deliveries at or below an ID the stream had already had (not in Received)
	PublishErrors      int64 // publishes that failed (connection errors, non-2xx)
	PublishLagMax      time.Duration
}
