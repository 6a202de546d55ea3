package formdata

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/mimepart"
)

// qpBody builds a body with the boundary "b" of parts, each a header
// section and data.
func qpBody(parts ...[2]string) string {
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString("--b\r\n" + p[0] + "\r\n" + p[1] + "\r\n")
	}
	sb.WriteString("--b--\r\n")
	return sb.String()
}

// qpField and qpFile are a part's header section: a field, or a file of
// type text/plain, with the Content-Transfer-Encoding cte (none if "").
func qpField(name, cte string) string {
	h := "Content-Disposition: form-data; name=\"" + name + "\"\r\n"
	if cte != "" {
		h += "Content-Transfer-Encoding: " + cte + "\r\n"
	}
	return h
}

func qpFile(name, cte string) string {
	h := "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name + ".txt\"\r\nContent-Type: text/plain\r\n"
	if cte != "" {
		h += "Content-Transfer-Encoding: " + cte + "\r\n"
	}
	return h
}

// formLines describes f: each field's value, and each file's bytes, the
// header fields the handler sees and where the file was kept.
func formLines(t *testing.T, f *Form) string {
	t.Helper()
	var lines []string
	for name, vs := range f.Values {
		for _, v := range vs {
			lines = append(lines, fmt.Sprintf("%s=%q", name, v))
		}
	}
	for name, fhs := range f.files {
		for _, fh := range fhs {
			rc, err := fh.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range fh.Header {
					if !yield(k) {
						return
					}
				}
			})
			lines = append(lines, fmt.Sprintf("%s: %q size %d disk %v %v", name, b, fh.Size, fh.path != "", keys))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestQuotedPrintableParts: a quoted-printable part is decoded, in memory and
// spooled alike, and loses its Content-Transfer-Encoding; other
// encodings pass as they came, with theirs; the limits count decoded
// bytes; and data that is not quoted-printable is a 400. Parse reads each
// body whole, the push parser ParseAsync uses gets it cut in two at every
// byte (across every escape and soft line break), and both give the
// same.
func TestQuotedPrintableParts(t *testing.T) {
	const (
		keys    = "[Content-Disposition Content-Type]"
		keysCTE = "[Content-Disposition Content-Transfer-Encoding Content-Type]"
	)
	for _, tt := range []struct {
		name  string
		lim   Limits
		body  string
		want  string // the form (formLines)
		code  int    // or the error's status
		inMsg string // and a piece of its message
	}{
		{name: "escapes and soft line breaks", body: qpBody([2]string{qpField("a", "quoted-printable"), "caf=C3=A9 =3D=\r\n ok=\n!"}),
			want: `a="café = ok!"`},
		{name: "lower-case hex", body: qpBody([2]string{qpField("a", "quoted-printable"), "=c3=a9t=c3=a9"}),
			want: `a="été"`},
		{name: "hard line breaks, trailing blanks", body: qpBody([2]string{qpField("a", "quoted-printable"), "one  \r\ntwo\t\r\nthree"}),
			want: `a="one\r\ntwo\r\nthree"`},
		{name: "encoding named in another case", body: qpBody([2]string{qpField("a", "Quoted-Printable"), "=41"}),
			want: `a="A"`},
		{name: "file in memory", body: qpBody([2]string{qpFile("f", "quoted-printable"), "line one=\r\n continued\r\nx=3D1"}),
			want: `f: "line one continued\r\nx=1" size 23 disk false ` + keys},
		{name: "file spooled", lim: Limits{MemoryThreshold: 4}, body: qpBody([2]string{qpFile("f", "quoted-printable"), "line one=\r\n continued\r\nx=3D1"}),
			want: `f: "line one continued\r\nx=1" size 23 disk true ` + keys},
		{name: "base64 kept as sent", body: qpBody([2]string{qpFile("f", "base64"), "aGVsbG8="}),
			want: `f: "aGVsbG8=" size 8 disk false ` + keysCTE},
		{name: "8bit kept as sent", body: qpBody([2]string{qpFile("f", "8bit"), "caf=C3=A9"}),
			want: `f: "caf=C3=A9" size 9 disk false ` + keysCTE},
		{name: "beside plain parts", body: qpBody([2]string{qpField("a", ""), "=41"}, [2]string{qpField("b", "quoted-printable"), "=41"}, [2]string{qpField("c", "binary"), "=41"}),
			want: "a=\"=41\"\nb=\"A\"\nc=\"=41\""},
		{name: "nameless part skipped, not decoded", body: qpBody([2]string{"Content-Transfer-Encoding: quoted-printable\r\n", "bad\x01"}, [2]string{qpField("a", "quoted-printable"), "=41"}),
			want: `a="A"`},
		{name: "MaxFieldBytes counts decoded bytes", lim: Limits{MaxFieldBytes: 4}, body: qpBody([2]string{qpField("a", "quoted-printable"), "=41=42=\r\n=43=44"}),
			want: `a="ABCD"`},
		{name: "MaxFieldBytes over, decoded", lim: Limits{MaxFieldBytes: 4}, body: qpBody([2]string{qpField("a", "quoted-printable"), "=41=42=43=44=45"}),
			code: 413, inMsg: `part 1 (field "a") over MaxFieldBytes (4)`},
		{name: "MaxFileBytes counts decoded bytes", lim: Limits{MaxFileBytes: 2, MemoryThreshold: -1}, body: qpBody([2]string{qpFile("f", "quoted-printable"), "=41=\r\n=42"}),
			want: `f: "AB" size 2 disk true ` + keys},
		{name: "a limit before a fault", lim: Limits{MaxFieldBytes: 4}, body: qpBody([2]string{qpField("a", "quoted-printable"), "=41=42=43=44=45\r\n\x01"}),
			code: 413, inMsg: "MaxFieldBytes"},
		{name: "control byte", body: qpBody([2]string{qpField("a", "quoted-printable"), "ok\r\nno\x01"}),
			code: 400, inMsg: `part 1 (field "a"): invalid quoted-printable data: invalid unescaped byte 0x01`},
		{name: "'==' in a file", body: qpBody([2]string{qpField("a", ""), "x"}, [2]string{qpFile("f", "quoted-printable"), "a==\r\nb"}),
			code: 400, inMsg: `part 2 (field "f", file "f.txt"): invalid quoted-printable data`},
		{name: "'=' alone ending the part", body: qpBody([2]string{qpField("a", "quoted-printable"), "a\r\n="}),
			code: 400, inMsg: "invalid quoted-printable data"},
		{name: "line too long", body: qpBody([2]string{qpField("a", "quoted-printable"), strings.Repeat("x", 4096)}),
			code: 400, inMsg: "a line of 4096 bytes or more"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, f *Form, err error) {
				t.Helper()
				if err != nil {
					if tt.code == 0 || api.StatusOf(err) != tt.code || !strings.Contains(err.Error(), tt.inMsg) ||
						tt.code == http.StatusBadRequest && !errors.Is(err, ErrMalformed) {
						t.Fatalf("%s: %v (status %d), want %d %q", how, err, api.StatusOf(err), tt.code, tt.inMsg)
					}
					return
				}
				defer f.RemoveAll()
				if got := formLines(t, f); tt.code != 0 || got != tt.want {
					t.Fatalf("%s: form\n%s\nwant\n%s (status %d)", how, got, tt.want, tt.code)
				}
			}
			lim := tt.lim
			lim.TempDir = t.TempDir()
			f, err := Parse(request("multipart/form-data; boundary=b", tt.body), lim)
			check("Parse", f, err)
			lim = lim.resolved()
			for i := range len(tt.body) + 1 {
				b := newBuilder(lim, &store{dir: lim.TempDir})
				p, err := mimepart.NewParser("b", partLimits(lim), b)
				if err != nil {
					t.Fatal(err)
				}
				_, err = p.Write([]byte(tt.body[:i]))
				if err == nil {
					_, err = p.Write([]byte(tt.body[i:]))
				}
				if err == nil {
					err = p.Close()
				}
				if err != nil {
					b.form.st.removeAll()
					check(fmt.Sprintf("push parser, cut at %d", i), nil, b.parseError(err, p.Parts()))
					continue
				}
				check(fmt.Sprintf("push parser, cut at %d", i), b.form, nil)
			}
		})
	}
}
