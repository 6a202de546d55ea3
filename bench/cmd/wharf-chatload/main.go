// Command wharf-chatload is the load of the seed's CometD chat benchmark,
// over WebSocket against examples/wschat: -clients members, each in -per of
// -rooms rooms, send -rate messages a second in all (each to one of its
// rooms, so each is delivered to every member of that room) for -duration
// after -warmup. Every delivered message carries its send time; the report
// is the delivery latency (min, avg, p50, p99, p99.9, max) and the messages
// lost (expected deliveries that never came within -drain after the end).
// With -json it prints the report as JSON, for bench/cmd/wharf-bench.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/bench/internal/delivery"
)

func main() {
	target := flag.String("url", "ws://127.0.0.1:8080/ws", "the chat's WebSocket URL")
	clients := flag.Int("clients", 1000, "members")
	rooms := flag.Int("rooms", 100, "rooms")
	per := flag.Int("per", 10, "rooms each member is in")
	rate := flag.Float64("rate", 1000, "messages sent per second, in all")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured time first")
	drain := flag.Duration("drain", 2*time.Second, "wait for late deliveries after the end")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	idle := flag.Int("idle", 0, "instead of the chat load: open this many members, each alone in a room, that say nothing; print {\"Opened\":N} once they are open and hold them until standard input closes")
	flag.Parse()
	if *idle > 0 {
		if err := holdIdle(*target, *idle); err != nil {
			fmt.Fprintln(os.Stderr, "wharf-chatload:", err)
			os.Exit(1)
		}
		return
	}
	r, err := run(*target, *clients, *rooms, *per, *rate, *duration, *warmup, *drain)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wharf-chatload:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	fmt.Printf("sent %d, delivered %d of %d (lost %d), %.0f deliveries/s\n", r.Sent, r.Received, r.Expected, r.Lost, r.DeliveredPerSec)
	fmt.Printf("latency min %v avg %v p50 %v p99 %v p99.9 %v max %v\n", r.Min, r.Avg, r.P50, r.P99, r.P999, r.Max)
	fmt.Printf("send lag max %v\n", r.SendLagMax)
}

type member struct {
	ws    *websocket.Conn
	rooms []string
	hist  *hdrhistogram.Histogram // delivery latency in µs, measured messages only
	got   atomic.Int64
	mu    sync.Mutex
}

func run(target string, clients, rooms, per int, rate float64, duration, warmup, drain time.Duration) (*delivery.Chat, error) {
	if clients <= 0 || rooms <= 0 || per <= 0 || per > rooms || rate <= 0 {
		return nil, fmt.Errorf("bad parameters")
	}
	roomSize := make(map[string]int64)
	members := make([]*member, clients)
	var connectErrs atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	var start atomic.Int64 // unix nanos from which deliveries count
	start.Store(1 << 62)
	for i := range members {
		m := &member{hist: delivery.NewHistogram()}
		for k := range per {
			r := "r" + strconv.Itoa((i*per+k)%rooms)
			m.rooms = append(m.rooms, r)
			roomSize[r]++
		}
		members[i] = m
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := target + "?member=m" + strconv.Itoa(i) + "&rooms=" + url.QueryEscape(strings.Join(m.rooms, ","))
			ws, _, err := websocket.DefaultDialer.Dial(u, nil)
			if err != nil {
				connectErrs.Add(1)
				return
			}
			m.ws = ws
			go m.read(&start)
		}()
	}
	wg.Wait()
	if n := connectErrs.Load(); n > 0 {
		return nil, fmt.Errorf("%d of %d members could not connect", n, clients)
	}
	time.Sleep(time.Second) // the joins settle

	var sent, expected int64
	interval := time.Duration(float64(time.Second) / rate)
	begin := time.Now()
	measureFrom := begin.Add(warmup)
	end := measureFrom.Add(duration)
	start.Store(measureFrom.UnixNano())
	var lagMax time.Duration
	send := func(seq int) error {
		m := members[seq%clients]
		room := m.rooms[(seq/clients)%per]
		ts := time.Now()
		if due := begin.Add(time.Duration(float64(seq) * float64(time.Second) / rate)); !due.Before(measureFrom) {
			lagMax = max(lagMax, ts.Sub(due))
		}
		msg, _ := json.Marshal(map[string]string{"room": room, "text": strconv.FormatInt(ts.UnixNano(), 10)})
		m.ws.SetWriteDeadline(ts.Add(5 * time.Second))
		if err := m.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if !ts.Before(measureFrom) {
			sent++
			expected += roomSize[room]
		}
		return nil
	}
	tick := time.NewTicker(interval)
	seq := 0
	for now := range tick.C {
		if now.After(end) {
			break
		}
		// Open loop: send what the schedule says is due by now, so a late
		// tick does not lower the rate.
		for due := int(float64(now.Sub(begin)) * rate / float64(time.Second)); seq < due; seq++ {
			if err := send(seq); err != nil {
				tick.Stop()
				return nil, err
			}
		}
	}
	tick.Stop()
	time.Sleep(drain)
	for _, m := range members {
		m.ws.Close()
	}
	all := delivery.NewHistogram()
	var received int64
	for _, m := range members {
		m.mu.Lock()
		all.Merge(m.hist)
		m.mu.Unlock()
		received += m.got.Load()
	}
	return &delivery.Chat{
		Clients: clients, Rooms: rooms, Per: per,
		Report:     delivery.Summarize(rate, duration, sent, expected, received, all),
		SendLagMax: lagMax,
	}, nil
}

// read records the latency of every member message sent in the measured
// time. It reads into one buffer per member and finds the fields without a
// JSON decoder: on the same two cores as the server, the load generator's
// own cost is part of every latency it measures.
func (m *member) read(start *atomic.Int64) {
	buf := make([]byte, 0, 512)
	for {
		_, r, err := m.ws.NextReader()
		if err != nil {
			return
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				break
			}
		}
		now := time.Now().UnixNano()
		from, text, ok := fields(buf)
		if !ok || len(from) == 0 {
			continue
		}
		sentAt, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil || sentAt < start.Load() {
			continue
		}
		m.got.Add(1)
		m.mu.Lock()
		m.hist.RecordValue(max(1, (now-sentAt)/1000))
		m.mu.Unlock()
	}
}

// fields returns the "from" and "text" strings of a chat message, which
// examples/wschat writes with encoding/json (no escapes in what this load
// sends); ok is false for anything else.
func fields(b []byte) (from, text []byte, ok bool) {
	from, ok1 := field(b, `"from":"`)
	text, ok2 := field(b, `"text":"`)
	return from, text, ok1 && ok2
}

func field(b []byte, key string) ([]byte, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return nil, false
	}
	v := b[i+len(key):]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
		return nil, false
	}
	return v[:j], true
}

// holdIdle opens n members that say nothing, each in a room of its own
// (so no join reaches another), reports them open, and holds them until
// standard input closes. Their pings go unanswered: the holder reads
// nothing, and measures well inside the first ping interval.
func holdIdle(target string, n int) error {
	conns := make([]*websocket.Conn, n)
	var failed atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := target + "?member=i" + strconv.Itoa(i) + "&rooms=i" + strconv.Itoa(i)
			ws, _, err := websocket.DefaultDialer.Dial(u, nil)
			if err != nil {
				failed.Add(1)
				return
			}
			conns[i] = ws
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d idle members could not connect", f, n)
	}
	json.NewEncoder(os.Stdout).Encode(struct{ Opened int }{n})
	io.Copy(io.Discard, os.Stdin)
	for _, ws := range conns {
		ws.Close()
	}
	return nil
}
