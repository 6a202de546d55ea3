package main

import (
	"encoding/json"
	"testing"
)

func TestFields(t *testing.T) {
	msg := func(room, from, text string) []byte {
		b, _ := json.Marshal(struct {
			Room string `json:"room,omitempty"`
			From string `json:"from"`
			Text string `json:"text"`
		}{room, from, text})
		return b
	}
	for _, tc := range []struct {
		in         []byte
		from, text string
		ok         bool
	}{
		{msg("r1", "m7", "1732364400000000000"), "m7", "1732364400000000000", true},
		{msg("r1", "", "m7 joined"), "", "m7 joined", true},
		{msg("", "m1", "x"), "m1", "x", true},
		{[]byte(`{"from":"a\"b","text":"1"}`), "", "", false},
		{[]byte(`{"text":"1"}`), "", "", false},
		{[]byte(`not json`), "", "", false},
	} {
		from, text, ok := fields(tc.in)
		if ok != tc.ok || ok && (string(from) != tc.from || string(text) != tc.text) {
			t.Errorf("fields(%s) = %q, %q, %v; want %q, %q, %v", tc.in, from, text, ok, tc.from, tc.text, tc.ok)
		}
	}
}
