package container

import (
	"net/http"
	"testing"
)

// An output that set only its type makes no header map: the stream gets
// the type beside a nil header, as it does a sniffed type. Its Header,
// asked after the commit, makes a map with the type in it.
func TestSetContentTypeMakesNoMap(t *testing.T) {
	for _, sniff := range []bool{false, true} {
		bufs := &outBufs{size: 16}
		s := &headStream{}
		s.head.Method = http.MethodGet
		var o output
		o.init(s, bufs)
		want := "text/plain"
		if sniff {
			want = "text/plain; charset=utf-8"
			o.buf = append(o.buf, "hello"...)
		} else {
			o.SetContentType(want)
		}
		if o.header != nil {
			t.Fatal("SetContentType made a header map")
		}
		if err := o.commit(int64(len(o.buf))); err != nil {
			t.Fatal(err)
		}
		if s.typ != want || !s.nilHeader {
			t.Errorf("sniff %v: WriteHead got type %q, nil header %v; want %q and nil", sniff, s.typ, s.nilHeader, want)
		}
		if got := o.Header().Get("Content-Type"); got != want {
			t.Errorf("sniff %v: Header after commit: %v", sniff, o.Header())
		}
	}
}
