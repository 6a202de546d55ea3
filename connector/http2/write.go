package http2

import (
	"math"
	"runtime"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2FrameKind is what a queued frame is.
type h2FrameKind uint8

const (
	h2fSettings h2FrameKind = iota
	h2fSettingsAck
	h2fPing // the acknowledgement of one
	h2fWindowUpdate
	h2fRST
	h2fGoAway
	h2fHeaders // a header block: HEADERS and as many CONTINUATION as it needs
	h2fData
)

// h2Frame is a frame waiting for the writer. Header blocks are queued as
// fields and encoded by the writer, the one owner of the HPACK encoder, in
// the order they are written: the encoder's state depends on that order.
type h2Frame struct {
	kind   h2FrameKind
	end    bool // END_STREAM
	stream uint32
	n      uint32 // WINDOW_UPDATE increment; GOAWAY last stream id
	code   xhttp2.ErrCode
	ping   [8]byte
	fields []hpack.HeaderField
	data   []byte
	buf    *[]byte // the pooled buffer data is cut from, returned after writing
	st     *stream
	seq    uint64 // a stream frame's place in hc.queuedSeq: dropped if not past st.purgedSeq
}

// purged reports whether f was dropped by its stream's reset while it
// waited in the queue (see purgeLocked).
func (f *h2Frame) purged() bool { return f.st != nil && f.seq <= f.st.purgedSeq }

// queueCtrl queues a control frame the client provoked (a PING or
// SETTINGS acknowledgement, say) ahead of stream frames. A client that
// provokes more than h2MaxControl of them without reading the answers gets
// a connection error. hc.mu is held.
func (hc *serverConn) queueCtrl(f h2Frame) error {
	if hc.state.closed() {
		return nil
	}
	if len(hc.ctrl)+hc.rsts >= h2MaxControl {
		return h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "too many control frames unanswered"}
	}
	hc.queueOwnCtrl(f)
	return nil
}

// queueOwnCtrl queues a control frame the server sends of its own accord
// (its SETTINGS, a WINDOW_UPDATE for bytes a handler read): never refused,
// and bounded by what the server does. hc.mu is held.
func (hc *serverConn) queueOwnCtrl(f h2Frame) {
	if hc.state.closed() {
		return
	}
	hc.ctrl = append(hc.ctrl, f)
	hc.startWriterLocked()
}

// queueFrame queues a stream frame (or GOAWAY) after those queued before.
// hc.mu is held.
func (hc *serverConn) queueFrame(f h2Frame) {
	if hc.state.closed() {
		return
	}
	hc.queued += len(f.data)
	if st := f.st; st != nil {
		if st.lastQueued <= hc.takenSeq {
			st.queuedFrames, st.queuedBytes = 0, 0 // what it counted was taken
		}
		hc.queuedSeq++
		f.seq = hc.queuedSeq
		st.lastQueued = hc.queuedSeq
		st.queuedFrames++
		st.queuedBytes += int32(len(f.data))
	}
	hc.frames = append(hc.frames, f)
	hc.startWriterLocked()
}

// liveFramesLocked is the number of frames in hc.frames that will be
// written: what counts against h2MaxFrames. hc.mu is held.
func (hc *serverConn) liveFramesLocked() int { return len(hc.frames) - hc.purged }

// purgeLocked drops the frames of a stream that was reset and not yet
// taken by the writer. hc.mu is held.
//
// A client may reset every stream it opens while the queue is full of
// others' frames, so the queue is not walked here: the stream's frames
// leave the queue's accounting at once, from the stream's own counts,
// and the queue itself when the writer takes it (takeLocked skips them),
// or once they are half of it, so that a writer stuck on a client that
// reads nothing does not let them pile up.
func (hc *serverConn) purgeLocked(st *stream) {
	if st.lastQueued <= hc.takenSeq || st.queuedFrames == 0 {
		return // nothing of st left in the queue
	}
	full, shut := hc.queueFullLocked(), hc.sendWin <= 0
	hc.queued -= int(st.queuedBytes)
	// Its DATA's bytes were taken from the connection's send window when
	// queued, and will never reach the client, which therefore never gives
	// them back: the window is the server's to restore.
	hc.sendWin += int64(st.queuedBytes)
	hc.purged += int(st.queuedFrames)
	if full && !hc.queueFullLocked() || shut && hc.sendWin > 0 {
		hc.cond.Broadcast() // room or window for the other streams' responses (see waitLocked)
	}
	st.purgedSeq = st.lastQueued
	st.queuedFrames, st.queuedBytes = 0, 0
	if 2*hc.purged > len(hc.frames) {
		// Each purged frame is moved once at most: the walk is paid for
		// by the purges that made half the queue dead.
		kept := keepLive(hc.frames[:0], hc.frames)
		clear(hc.frames[len(kept):])
		hc.frames, hc.purged = kept, 0
	}
}

// keepLive appends to dst the frames of src that were not purged; dst may
// be src[:0]. A purged frame's buffer may be shared with a frame being
// written: it is not recycled.
func keepLive(dst, src []h2Frame) []h2Frame {
	for i := range src {
		if !src[i].purged() {
			dst = append(dst, src[i])
		}
	}
	return dst
}

// takeLocked moves what is queued, control frames first, to the end of
// batch, for the writer. hc.mu is held.
func (hc *serverConn) takeLocked(batch []h2Frame) []h2Frame {
	batch = append(batch, hc.ctrl...)
	if hc.purged == 0 {
		batch = append(batch, hc.frames...)
	} else {
		batch = keepLive(batch, hc.frames)
	}
	clear(hc.ctrl)
	clear(hc.frames)
	hc.ctrl, hc.frames, hc.rsts, hc.purged = hc.ctrl[:0], hc.frames[:0], 0, 0
	hc.takenSeq = hc.queuedSeq
	return batch
}

func (hc *serverConn) startWriterLocked() {
	if !hc.writing {
		hc.writing = true
		go hc.writer()
	}
}

// writeLoop is the writer goroutine: it writes what is queued, in batches
// with one flush each, and ends when the queue is empty.
//
// Its buffer is the server's between runs: an idle connection keeps none.
func (hc *serverConn) writeLoop() {
	hc.writeG.Acquire()
	hc.bw = hc.srv.getWriter(socketWriter{hc})
	timeout := hc.lim.WriteTimeout
	lingered := false
	for {
		hc.mu.Lock()
		if len(hc.ctrl) == 0 && len(hc.frames) == 0 && !lingered {
			// Let the goroutines that are ready to run queue their frames
			// first: under load one write then carries many responses.
			hc.mu.Unlock()
			runtime.Gosched()
			lingered = true
			continue
		}
		if len(hc.ctrl) == 0 && len(hc.frames) == 0 {
			hc.srv.putWriter(hc.bw) // flushed: the batch before ended with Flush
			hc.bw = nil
			if len(hc.streams) == 0 {
				// Quiet: the next write may be minutes away. A busy
				// connection keeps its batch from one run to the next.
				hc.releaseBatch()
			}
			hc.writeG.Release()
			hc.writing = false
			if hc.state.goingAway() {
				// end may wait for the writer: it went away first. No one
				// else waits for the writer's end, and a stalled response
				// woken here would only wait again.
				hc.cond.Broadcast()
			}
			hc.mu.Unlock()
			return
		}
		if hc.batch == nil {
			hc.batch = hc.srv.getFrames()
		}
		// Whether a response may wait for room in the queue, which this
		// batch makes once written: only then is it worth waking the
		// waiting responses (see waitLocked).
		full := hc.queueFullLocked()
		batch := hc.takeLocked(hc.batch[:0])
		peer := hc.peer
		hc.peer.headerTableLow = math.MaxUint32 // this batch signals it
		// Under mu, so that end's deadline is never overwritten; once the
		// connection is ending, socketWriter sets each write's.
		if !hc.state.ending() {
			hc.nc.SetWriteDeadline(time.Now().Add(timeout))
		}
		if cap(hc.frames) > 2*h2MaxFrames {
			hc.frames = nil // a burst's queue is not kept for the connection's life
		}
		if cap(hc.ctrl) > 1024 {
			hc.ctrl = nil
		}
		hc.mu.Unlock()

		hc.followTableSize(peer.headerTable, peer.headerTableLow)
		var err error
		bytes := 0
		for i := range batch {
			f := &batch[i]
			bytes += len(f.data)
			if err == nil {
				err = hc.writeFrame(f, &peer)
			}
			if f.buf != nil {
				*f.buf = (*f.buf)[:0]
				hc.srv.bufs.Put(f.buf)
			}
		}
		if err == nil {
			err = hc.bw.Flush()
		}
		clear(batch)
		hc.batch = batch[:0]
		if cap(batch) > 4*h2MaxFrames {
			hc.batch = nil
		}

		hc.mu.Lock()
		full = full || hc.queueFullLocked() // filled again while this batch was written
		hc.queued -= bytes
		if err != nil {
			// The client does not read or the socket failed: nothing more
			// can go out. Closing the socket ends the reader, which ends
			// the connection.
			hc.ctrl, hc.frames, hc.queued, hc.rsts, hc.purged = nil, nil, 0, 0, 0
			hc.takenSeq = hc.queuedSeq
			hc.releaseBatch()
			hc.fire(connEvClose) // never refused: no writer runs once the connection is closed
			if hc.err == nil {
				hc.err = err
			}
			hc.srv.putWriter(hc.bw) // what it holds will never go out
			hc.bw = nil
			hc.writeG.Release()
			hc.writing = false
			hc.cond.Broadcast()
			hc.mu.Unlock()
			hc.nc.Close()
			return
		}
		if full {
			hc.cond.Broadcast()
		}
		hc.mu.Unlock()
	}
}

// queueFullLocked reports whether the stream frames queued leave no room
// for another (h2MaxQueued bytes or h2MaxFrames frames): a response may
// then wait for the writer. hc.mu is held.
func (hc *serverConn) queueFullLocked() bool {
	return hc.queued >= h2MaxQueued || hc.liveFramesLocked() >= h2MaxFrames
}

// frameSink is what the writer's framer writes to: the writer's buffer
// of the run under way.
type frameSink struct{ hc *serverConn }

func (s frameSink) Write(p []byte) (int, error) { return s.hc.bw.Write(p) }

// writeFrame writes one frame into the buffered writer; header blocks are
// encoded here.
func (hc *serverConn) writeFrame(f *h2Frame, peer *h2Settings) error {
	hc.writeG.Check()
	fr := hc.wfr
	switch f.kind {
	case h2fSettings:
		return fr.WriteSettings(
			xhttp2.Setting{ID: xhttp2.SettingMaxConcurrentStreams, Val: h2MaxStreams},
			xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: h2StreamWindow},
			xhttp2.Setting{ID: xhttp2.SettingMaxHeaderListSize, Val: uint32(hc.maxHeaderList())},
		)
	case h2fSettingsAck:
		return fr.WriteSettingsAck()
	case h2fPing:
		return fr.WritePing(true, f.ping)
	case h2fWindowUpdate:
		return fr.WriteWindowUpdate(f.stream, f.n)
	case h2fRST:
		return fr.WriteRSTStream(f.stream, f.code)
	case h2fGoAway:
		return fr.WriteGoAway(f.n, f.code, nil)
	case h2fData:
		return fr.WriteData(f.stream, f.end, f.data)
	case h2fHeaders:
		return hc.writeHeaders(f, peer)
	}
	return nil
}

// writeHeaders encodes a header block and writes it as HEADERS plus
// CONTINUATION frames no larger than the client's SETTINGS_MAX_FRAME_SIZE.
func (hc *serverConn) writeHeaders(f *h2Frame, peer *h2Settings) error {
	hc.hbuf = hc.hbuf[:0]
	for _, hf := range f.fields {
		hc.henc.WriteField(hf)
	}
	block := hc.hbuf
	max := int(min(peer.maxFrame, h2MaxFrame))
	first := true
	for first || len(block) > 0 {
		n := min(len(block), max)
		frag := block[:n]
		block = block[n:]
		var err error
		if first {
			err = hc.wfr.WriteHeaders(xhttp2.HeadersFrameParam{
				StreamID: f.stream, BlockFragment: frag, EndStream: f.end, EndHeaders: len(block) == 0,
			})
			first = false
		} else {
			err = hc.wfr.WriteContinuation(f.stream, len(block) == 0, frag)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// followTableSize sizes the HPACK encoder's dynamic table as the
// client's SETTINGS_HEADER_TABLE_SIZE now allows (4096 at most), low being
// the smallest value it took since the last call. The next header block
// starts with the size updates (RFC 7541 §4.2): the low one first, if the
// table dipped below its size (the client's decoder may have emptied its
// table), then the final one, so that a client that raises the size again
// gets its compression back. The writer's.
func (hc *serverConn) followTableSize(size, low uint32) {
	e := hc.henc
	size = min(size, 4096)
	if low < e.MaxDynamicTableSize() {
		e.SetMaxDynamicTableSizeLimit(low)
		e.SetMaxDynamicTableSize(low) // signaled even if the table grows back below
	}
	if size != e.MaxDynamicTableSize() {
		e.SetMaxDynamicTableSizeLimit(size)
		e.SetMaxDynamicTableSize(size)
	}
}

// releaseBatch gives the writer's batch back to the server: the writer
// ends with nothing queued, or nothing more will go out, or the last
// stream is dropped while no writer runs. The writer's (writeG held).
func (hc *serverConn) releaseBatch() {
	hc.srv.putFrames(hc.batch)
	hc.batch = nil
}
