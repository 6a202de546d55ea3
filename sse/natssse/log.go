package natssse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/sse"
)

// The header fields that carry an event's type and retry in a message;
// its data is the message's body.
const (
	headerEvent = "Sse-Event"
	headerRetry = "Sse-Retry" // milliseconds
	// headerEventQuoted carries, Go-quoted, a type that starts or ends
	// with a space or a tab: NATS trims those off a header value, and
	// the client would get another type. headerEvent still carries it
	// for logs that do not know this field.
	headerEventQuoted = "Sse-Event-Quoted"
)

// Config configures a Log. Its zero value is ready to use.
type Config struct {
	// Stream names the JetStream stream. Zero means "WHARF_SSE".
	Stream string
	// Prefix is the first token of the stream's subjects: a topic t is
	// the subject Prefix + "." + t. Zero means "sse".
	Prefix string
	// Retain is how many events of each topic the stream keeps
	// (MaxMsgsPerSubject), when New creates it. Zero or negative means
	// 1,000.
	Retain int
	// MaxAge drops events older than this, when New creates the stream.
	// Zero means never; JetStream refuses a negative one, or one under
	// 100 ms, and so New does.
	MaxAge time.Duration
	// Replicas is the number of copies a NATS cluster keeps, when New
	// creates the stream. Zero or negative means 1.
	Replicas int
	// FirstID is the first sequence, so the first event's ID, of the
	// stream New creates. Zero means the time it is made, in microseconds
	// since 1970, as a MemoryLog's (see New).
	FirstID uint64
	// Storage says where the stream lives, when New creates it. Zero
	// means jetstream.FileStorage, which survives a broker restart.
	Storage jetstream.StorageType
	// Logger receives what goes wrong with the consumer Open starts
	// (missed heartbeats while the broker is away, a stream deleted
	// under it), which nats.go reports nowhere else: live streams then
	// hear nothing. Those are Warn records, as the consumer gets over
	// most of them; a connection closed for good (nats.go gave up on the
	// broker, or the program closed it before the Log), which no broker
	// coming back mends, is an Error record that says so. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Log is an sse.Log on a JetStream stream. Every method may be called
// from any goroutine; it delivers on the goroutine of its consumer
// (nats.go's).
type Log struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	prefix string
	log    *slog.Logger

	// last is the highest stream sequence the log has seen stored, by its
	// consumer or its acknowledgments: AppendWaitFunc's first guess at the
	// stream's last sequence, which spares it a request when it is right.
	last atomic.Uint64

	// ccs holds the consumer of each Open: a Log may be shared by several
	// Brokers (see sse.Log.Open), each opening it and each closing it
	// (Broker.Close), so the consumers stop only when the last of them
	// closes it (opened counts those still open).
	mu     sync.Mutex
	ccs    []jetstream.ConsumeContext
	opened int
	closed bool
}

var _ sse.WaitLog = (*Log)(nil)

// New returns a Log on the stream cfg names, binding it if it exists and
// creating it otherwise. ctx bounds the calls to the broker. A stream that
// exists must take every subject Prefix + ".>": New refuses one that does
// not, whose events would be stored nowhere.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	if cfg.Stream == "" {
		cfg.Stream = "WHARF_SSE"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "sse"
	}
	if err := sse.CheckTopic(cfg.Prefix); err != nil {
		return nil, fmt.Errorf("natssse: prefix: %w", err)
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 1000
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	s, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		// The stream's sequences start at the time it is made, in
		// microseconds, as a MemoryLog's IDs do and for the same reason:
		// a stream made again (the broker lost its store, someone deleted
		// it) must number above every ID the old one gave. Otherwise an
		// EventSource back with an old ID would be resumed among new
		// events that reuse it, not told it missed some, and an
		// application that keys its data by event ID would find two.
		first := cfg.FirstID
		if us := time.Now().UnixMicro(); first == 0 && us > 0 {
			first = uint64(us)
		}
		s, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:              cfg.Stream,
			Description:       "Wharf server-sent events",
			Subjects:          []string{cfg.Prefix + ".>"},
			MaxMsgsPerSubject: int64(cfg.Retain),
			MaxAge:            cfg.MaxAge,
			Discard:           jetstream.DiscardOld,
			Replicas:          cfg.Replicas,
			Storage:           cfg.Storage,
			FirstSeq:          first,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another instance won the race
			s, err = js.Stream(ctx, cfg.Stream)
		}
	}
	if err != nil {
		return nil, failed(js, fmt.Sprintf("stream %q", cfg.Stream), err)
	}
	// A stream that exists keeps its own subjects. If they do not take
	// every topic of the prefix (the stream was made for another prefix,
	// or is another application's), the log's events would be stored
	// nowhere: Append does not wait to hear it, and Open delivers
	// nothing. Say so now rather than lose every event.
	if subjects := s.CachedInfo().Config.Subjects; !slices.ContainsFunc(subjects, func(subject string) bool {
		return coversPrefix(subject, cfg.Prefix)
	}) {
		return nil, fmt.Errorf("natssse: stream %q takes %q, not every subject %s.>", cfg.Stream, subjects, cfg.Prefix)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{js: js, stream: s, prefix: cfg.Prefix + ".", log: logger}, nil
}

// coversPrefix reports whether the stream subject pattern takes every
// subject prefix + "." + topic, whatever the topic's tokens: it matches
// the prefix token by token and then ends in ">".
func coversPrefix(pattern, prefix string) bool {
	for tok := range strings.SplitSeq(prefix, ".") {
		pt, rest, more := strings.Cut(pattern, ".")
		switch {
		case pt == ">":
			return true
		case pt != "*" && pt != tok, !more:
			return false
		}
		pattern = rest
	}
	return pattern == ">"
}

// Open implements sse.Log: one ordered consumer of every topic, from the
// messages stored after the stream's last when Open began.
func (l *Log) Open(deliver func(topic string, ev sse.Event)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Start after the stream's last message by sequence, not with
	// DeliverNewPolicy: the ordered consumer remakes itself with the
	// policy it was given until it has delivered a message, so after a
	// reconnection that comes first DeliverNew would skip the events
	// other instances appended while this one was away.
	info, err := l.stream.Info(ctx)
	if err != nil {
		return failed(l.js, "stream", err)
	}
	cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{l.prefix + ">"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    info.State.LastSeq + 1,
	})
	if err != nil {
		return failed(l.js, "consumer", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			return
		}
		topic, ok := strings.CutPrefix(m.Subject(), l.prefix)
		if !ok {
			return
		}
		l.seen(meta.Sequence.Stream)
		deliver(topic, event(meta.Sequence.Stream, m.Headers(), m.Data()))
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		// A connection closed for good (nats.go gave up on the broker,
		// or the program closed it before the Log) never delivers again,
		// whatever the broker does: the streams are silent until the
		// program makes a new connection, which the record says.
		if errors.Is(err, jetstream.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionClosed) {
			l.log.Error("natssse: the NATS connection is closed for good: this instance's streams hear no more events until the program makes a new connection and Log (nats.MaxReconnects(-1) keeps a connection from giving up)", "stream", l.stream.CachedInfo().Config.Name, "err", err)
			return
		}
		// The ordered consumer remakes itself after most of these; a
		// stream that stays away keeps them coming.
		l.log.Warn("natssse: consuming the event stream", "stream", l.stream.CachedInfo().Config.Name, "err", err)
	}))
	if err != nil {
		return failed(l.js, "consume", err)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		cc.Stop() // no Close is coming to stop it
		return ErrLogClosed
	}
	l.ccs = append(l.ccs, cc)
	l.opened++
	l.mu.Unlock()
	return nil
}

// event makes the sse.Event that message seq carries.
func event(seq uint64, h nats.Header, data []byte) sse.Event {
	ev := sse.Event{ID: strconv.FormatUint(seq, 10), Event: h.Get(headerEvent), Data: string(data)}
	if q := h.Get(headerEventQuoted); q != "" {
		if typ, err := strconv.Unquote(q); err == nil {
			ev.Event = typ
		}
	}
	if ms, err := strconv.ParseInt(h.Get(headerRetry), 10, 64); err == nil && ms > 0 {
		ev.Retry = time.Duration(ms) * time.Millisecond
	}
	return ev
}

// seen notes that the stream holds the sequence seq.
func (l *Log) seen(seq uint64) {
	for {
		last := l.last.Load()
		if seq <= last || l.last.CompareAndSwap(last, seq) {
			return
		}
	}
}

// msg is the message that carries ev on topic.
func (l *Log) msg(topic string, ev sse.Event) *nats.Msg {
	m := nats.NewMsg(l.prefix + topic)
	m.Data = []byte(ev.Data)
	if ev.Event != "" {
		m.Header.Set(headerEvent, ev.Event)
		if strings.Trim(ev.Event, " \t") != ev.Event {
			m.Header.Set(headerEventQuoted, strconv.Quote(ev.Event))
		}
	}
	if ms := ev.Retry.Milliseconds(); ms > 0 {
		m.Header.Set(headerRetry, strconv.FormatInt(ms, 10))
	}
	return m
}

// Append implements sse.Log: it publishes without waiting for the
// acknowledgment.
func (l *Log) Append(topic string, ev sse.Event) error {
	if _, err := l.js.PublishMsgAsync(l.msg(topic, ev)); err != nil {
		return failed(l.js, "publish", err)
	}
	return nil
}

// AppendWait implements sse.WaitLog: it publishes and waits for the
// acknowledgment, which carries the sequence the stream gave the message.
func (l *Log) AppendWait(ctx context.Context, topic string, ev sse.Event) (uint64, error) {
	ack, err := l.js.PublishMsg(ctx, l.msg(topic, ev))
	if err != nil {
		return 0, failed(l.js, "publish", err)
	}
	l.seen(ack.Sequence)
	return ack.Sequence, nil
}

// AppendWaitFunc implements sse.WaitLog. JetStream gives a message its
// sequence as it stores it, so no one can learn the ID first; but a
// publisher can make it certain. The log takes the stream's last
// sequence to be the highest it has seen, builds the event for the next
// one, and publishes it on the condition that the stream's last sequence
// is still that (WithExpectLastSequence): then the stream stores it at
// exactly that next sequence, the ID build was given. When any other
// message came first, from any instance, the stream refuses this one and
// stores nothing; the log then asks the stream for its last sequence and
// tries again, until it succeeds, another error occurs, or ctx ends.
//
// The condition is on the whole stream, whose sequence every topic
// shares: a topic whose stream carries busy topics may be refused often,
// each retry costing a stream info request and a publish.
func (l *Log) AppendWaitFunc(ctx context.Context, topic string, build func(id uint64) (sse.Event, error)) (uint64, error) {
	last := l.last.Load()
	for {
		ev, err := build(last + 1)
		if err != nil {
			return 0, err
		}
		ack, err := l.js.PublishMsg(ctx, l.msg(topic, ev), jetstream.WithExpectLastSequence(last))
		if err == nil {
			l.seen(ack.Sequence)
			return ack.Sequence, nil
		}
		if !wrongLastSequence(err) {
			return 0, failed(l.js, "publish", err)
		}
		info, err := l.stream.Info(ctx)
		if err != nil {
			return 0, failed(l.js, "reading the stream's last sequence", err)
		}
		last = info.State.LastSeq
		l.seen(last)
	}
}

// wrongLastSequence reports whether err is the stream's refusal of a
// message whose expected last sequence was not the stream's: the code
// differs between a stream of one replica and a replicated one.
func wrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// The replay's reading strategy: how many events Since reads with one
// request each before it turns to a consumer, and how many a consumer's
// pull request asks for.
const (
	// replayGets is how many events a replay reads with a request each
	// ("next message on this subject"), as a client a few events behind
	// (the common reconnection) costs no more than that: a consumer
	// costs three requests (create, pull, delete), and on a NATS cluster
	// its creation and deletion go through the meta leader.
	replayGets = 8
	// replayFetchAbove: a replay with at most this many sequences left
	// to cover finishes with requests each rather than a consumer.
	replayFetchAbove = 4
	// replayBatch is how many messages one pull request of the replay's
	// consumer asks for.
	replayBatch = 1024
	// replayInactive is how long the server keeps a replay's consumer
	// that Since could not delete (it went away, or the request failed).
	replayInactive = 30 * time.Second
)

// Since implements sse.Log. It reads the topic's last message, whose
// sequence is through; then the topic's messages after the client's ID
// up to through: the first replayGets with a "next message on this
// subject" request each, the rest, if any, with an ephemeral consumer
// of the topic (one request to create it, one per replayBatch messages,
// one to delete it), so that a replay costs a bounded number of round
// trips, not one per event; then whether the client's last message is
// still there, and when it is gone or another topic's, whether the
// stream may have dropped a message of the topic after it (droppedAfter).
func (l *Log) Since(ctx context.Context, topic string, after uint64) ([]sse.Event, uint64, bool, error) {
	subject := l.prefix + topic
	last, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) && after > 0 {
		// Nothing of the topic retained. through is then the stream's
		// last sequence, not 0: a stream's missed event carries it, and
		// a client back with 0 would be given what was published
		// meanwhile untold of what of it was dropped, as from 0 the log
		// cannot tell. The topic is read again after the stream, so
		// that one of its messages stored between the two reads (at a
		// sequence up to the stream's last) is not taken for delivered.
		info, ierr := l.stream.Info(ctx)
		if ierr != nil {
			return nil, 0, false, failed(l.js, "stream", ierr)
		}
		last, err = l.stream.GetLastMsgForSubject(ctx, subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			// Missed: after is beyond the stream's last, or messages
			// after it were dropped (the stream drops oldest first, and
			// a topic with none left lost none to its own limit alone).
			s := info.State
			return nil, s.LastSeq, after > s.LastSeq || after+1 < s.FirstSeq, nil
		}
	}
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, failed(l.js, "reading "+subject, err)
	}
	through := last.Sequence
	if after == through {
		return nil, through, false, nil
	}
	missed := after > through
	from := after + 1
	if after > through {
		from = 1
	}
	r := replay{l: l, subject: subject, next: from, through: through}
	for n := 0; n < replayGets && r.next <= r.through; n++ {
		if err := r.get(ctx); err != nil {
			return nil, 0, false, err
		}
	}
	if r.next <= r.through && r.through-r.next >= replayFetchAbove {
		if err := r.fetch(ctx); err != nil {
			return nil, 0, false, err
		}
	}
	// What the consumer did not read (it failed, or its server's copy of
	// a replicated stream lags the leader's), requests read, from the
	// leader, as before it.
	for r.next <= r.through {
		if err := r.get(ctx); err != nil {
			return nil, 0, false, err
		}
	}
	// Whether the client's last message is still there is asked after
	// the replay is read, not before: the stream drops a topic's
	// messages oldest first, so one dropped while the requests above
	// went on, before they reached it, took the client's message with
	// it. Asked first, the answer would not cover those.
	//
	// When the replay starts at the sequence after the client's, no
	// message lies between the two, and what that sequence held does not
	// matter: the replay's first message is asked for instead, as one
	// dropped while the replay was read takes it with it too. That is
	// where a client stands that was sent a missed event (its ID is the
	// one before its replay's first event), so it is not told again.
	if !missed && after > 0 {
		probe := after
		if len(r.evs) > 0 && r.first == after+1 {
			probe = r.first
		}
		m, err := l.stream.GetMsg(ctx, probe)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			missed = true
		case err != nil:
			return nil, 0, false, failed(l.js, "reading "+subject, err)
		default:
			missed = m.Subject != subject
		}
		// The client's message is another topic's, or gone: IDs are the
		// stream's sequence, so it is still a place in the stream (a
		// missed event's ID, the stream's last when the topic had
		// nothing retained, is another topic's once other topics are
		// published), and what matters is whether a message of the
		// topic after it may have been dropped.
		if missed && probe == after {
			if missed, err = l.droppedAfter(ctx, subject, after); err != nil {
				return nil, 0, false, err
			}
		}
	}
	return r.evs, through, missed, nil
}

// droppedAfter reports whether the stream may have dropped a message of
// subject after the sequence after: when it dropped messages after it
// (its first sequence is past the next: age, MaxMsgs and MaxBytes drop
// the oldest first), or when subject is at the stream's per-subject
// limit, which drops the subject's oldest. A subject below its limit
// never lost one past after while the stream kept after's successor: a
// subject the limit trimmed stays at it until the oldest-first limits
// drop its messages, and those come after after's. A message deleted on
// purpose (an operator's) is not seen. Called after the replay is read,
// it covers what was dropped meanwhile.
func (l *Log) droppedAfter(ctx context.Context, subject string, after uint64) (bool, error) {
	info, err := l.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return false, failed(l.js, "stream", err)
	}
	if after+1 < info.State.FirstSeq {
		return true, nil
	}
	limit := info.Config.MaxMsgsPerSubject
	return limit > 0 && info.State.Subjects[subject] >= uint64(limit), nil
}

// replay is what Since has read of a topic: its events, in order, and
// the sequence from which the rest is still to read. next is past
// through once it has read all: the message at through, one after it,
// or the end of the topic.
type replay struct {
	l             *Log
	subject       string
	next, through uint64
	evs           []sse.Event
	first         uint64 // the sequence of evs[0]
}

// add takes the topic's message seq, the first at or after next.
func (r *replay) add(seq uint64, h nats.Header, data []byte) {
	if seq > r.through {
		r.next = seq
		return
	}
	if len(r.evs) == 0 {
		r.first = seq
	}
	r.evs = append(r.evs, event(seq, h, data))
	r.next = seq + 1
}

// get reads the topic's next message with a request to the stream's
// leader.
func (r *replay) get(ctx context.Context) error {
	m, err := r.l.stream.GetMsg(ctx, r.next, jetstream.WithGetMsgSubject(r.subject))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		// Nothing left on the topic: what was there was dropped.
		r.next = r.through + 1
		return nil
	}
	if err != nil {
		return failed(r.l.js, "reading "+r.subject, err)
	}
	r.add(m.Sequence, m.Header, m.Data)
	return nil
}

// fetch reads what it can of the rest with an ephemeral consumer of the
// topic from next, in pull requests of replayBatch that do not wait: the
// server sends what it holds and says when it has no more. A consumer
// reads the stream as it finds it, so a message the stream drops before
// the consumer reaches it is skipped, as the requests of get skip it.
//
// A consumer lives on one server of a replicated stream, not always the
// leader: its copy may not hold yet the last messages the leader gave
// through, and the consumer then stops short of them; get reads those.
// fetch leaves to get, too, whatever it could not do (a consumer the
// account's limits refuse, a request that failed): it returns an error
// only when ctx ends.
func (r *replay) fetch(ctx context.Context) error {
	cons, err := r.l.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Description:       "Wharf server-sent events replay",
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       r.next,
		FilterSubject:     r.subject,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: replayInactive,
	})
	if err != nil {
		r.l.log.Debug("natssse: a replay's consumer", "subject", r.subject, "err", err)
		return ctx.Err()
	}
	defer func() {
		// Delete it even when ctx ended (the client went away), but do
		// not wait long: the server deletes it when inactive anyway.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = r.l.stream.DeleteConsumer(dctx, cons.CachedInfo().Name)
	}()
	for r.next <= r.through {
		batch := uint64(replayBatch)
		if left := r.through - r.next + 1; left < batch {
			batch = left
		}
		res, err := cons.FetchNoWait(int(batch))
		if err != nil {
			r.l.log.Debug("natssse: a replay's consumer", "subject", r.subject, "err", err)
			return ctx.Err()
		}
		n := uint64(0)
		for m := range res.Messages() {
			if r.next > r.through {
				break // the batch went past through (the fetch's goroutine ends without us)
			}
			meta, err := m.Metadata()
			if err != nil {
				return ctx.Err() // get reads it
			}
			r.add(meta.Sequence.Stream, m.Headers(), m.Data())
			n++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if res.Error() != nil || n < batch {
			// The server held no more, or the request failed.
			return nil
		}
	}
	return nil
}

// Close implements sse.Log: it stops the consumers and waits until they
// have. A Log that several Brokers opened stops when the last of them
// closes it: Close cannot tell which Broker calls it, and stopping one
// consumer at the first Close would leave another Broker's streams
// without events (a closed Broker's own consumer delivering meanwhile
// finds no stream).
func (l *Log) Close() error {
	l.mu.Lock()
	if l.opened > 1 {
		l.opened--
		l.mu.Unlock()
		return nil
	}
	ccs, closed := l.ccs, l.closed
	l.ccs, l.opened, l.closed = nil, 0, true
	l.mu.Unlock()
	if closed {
		return nil
	}
	for _, cc := range ccs {
		cc.Stop()
	}
	for _, cc := range ccs {
		<-cc.Closed()
	}
	return nil
}
