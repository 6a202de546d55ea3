package main

import (
	"testing"
	"time"

	"github.com/wharf-go/wharf/bench/internal/ssestream"
)

func TestClassify(t *testing.T) {
	w := newWindow()
	w.start.Store(1000)
	w.end.Store(2000)
	tests := []struct {
		name   string
		lastID uint64
		ev     ssestream.Event
		now    int64
		want   outcome
		lat    time.Duration
		wantID uint64 // the stream's last ID after
	}{
		{"measured", 0, ssestream.Event{ID: "1", HasID: true, Data: "1500"}, 1700, counted, 200, 1},
		{"the window's start is in", 3, ssestream.Event{ID: "4", HasID: true, Data: "1000"}, 1001, counted, 1, 4},
		{"the window's end is out", 3, ssestream.Event{ID: "4", HasID: true, Data: "2000"}, 2001, ignored, 0, 4},
		{"warm-up", 0, ssestream.Event{ID: "1", HasID: true, Data: "999"}, 1500, ignored, 0, 1},
		{"a duplicate", 5, ssestream.Event{ID: "5", HasID: true, Data: "1500"}, 1600, duplicate, 0, 5},
		{"an older one", 5, ssestream.Event{ID: "2", HasID: true, Data: "1500"}, 1600, duplicate, 0, 5},
		{"a warm-up duplicate is ignored", 5, ssestream.Event{ID: "5", HasID: true, Data: "10"}, 1600, ignored, 0, 5},
		{"IDs need not be contiguous (JetStream)", 5, ssestream.Event{ID: "90", HasID: true, Data: "1500"}, 1600, counted, 100, 90},
		{"no ID", 5, ssestream.Event{Data: "1500"}, 1600, counted, 100, 5},
		{"not a time", 0, ssestream.Event{ID: "1", HasID: true, Data: "hello"}, 1600, ignored, 0, 0},
		{"a typed event (missed)", 0, ssestream.Event{Type: "missed", Data: "1500"}, 1600, ignored, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &streamState{lastID: tt.lastID}
			got, lat := classify(st, w, tt.ev, tt.now)
			if got != tt.want || lat != tt.lat || st.lastID != tt.wantID {
				t.Errorf("got %v, %v, last ID %d; want %v, %v, %d", got, lat, st.lastID, tt.want, tt.lat, tt.wantID)
			}
		})
	}
}

func TestTally(t *testing.T) {
	mk := func(topic int, received, dups int64, ended bool) *streamState {
		st := &streamState{topic: topic}
		st.received.Store(received)
		st.duplicates.Store(dups)
		st.ended.Store(ended)
		return st
	}
	tests := []struct {
		name                     string
		published                []int64
		streams                  []*streamState
		expected, received, dups int64
		ended                    int64
	}{
		{"none", []int64{0, 0}, nil, 0, 0, 0, 0},
		{"all delivered", []int64{10, 20}, []*streamState{mk(0, 10, 0, false), mk(1, 20, 0, false), mk(1, 20, 0, false)}, 50, 50, 0, 0},
		{"an ended stream loses the rest", []int64{10, 20}, []*streamState{mk(0, 10, 0, false), mk(1, 7, 0, true)}, 30, 17, 0, 1},
		{"duplicates apart", []int64{5}, []*streamState{mk(0, 5, 2, false)}, 5, 5, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, r, d, n := tally(tt.published, tt.streams)
			if e != tt.expected || r != tt.received || d != tt.dups || n != tt.ended {
				t.Errorf("got %d, %d, %d, %d; want %d, %d, %d, %d", e, r, d, n, tt.expected, tt.received, tt.dups, tt.ended)
			}
		})
	}
}
