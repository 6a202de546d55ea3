package formdata

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the upload limits table in docs/security.md")

// limitRows is docs/security.md's upload limits table, with the value
// each default must have.
var limitRows = []struct {
	limit, doc, def, beyond string
	value                   func(Limits) int64
	want                    int64
}{
	{"MaxParts", "parts in a multipart body", "1000", "413", func(l Limits) int64 { return int64(l.MaxParts) }, 1000},
	{"MaxHeaderBytes", "one part's header section", "10 KiB", "413", func(l Limits) int64 { return int64(l.MaxHeaderBytes) }, 10 << 10},
	{"MaxFieldBytes", "one field (a part without a filename)", "1 MiB", "413", func(l Limits) int64 { return l.MaxFieldBytes }, 1 << 20},
	{"MaxFileBytes", "one file", "32 MiB", "413", func(l Limits) int64 { return l.MaxFileBytes }, 32 << 20},
	{"MaxBodyBytes", "the whole multipart body (a larger Content-Length is refused before reading)", "64 MiB", "413", func(l Limits) int64 { return l.MaxBodyBytes }, 64 << 20},
	{"MaxMemoryBytes", "fields and in-memory files of one form", "10 MiB", "413 for a field; a file goes to disk", func(l Limits) int64 { return l.MaxMemoryBytes }, 10 << 20},
	{"MemoryThreshold", "a file kept in memory", "32 KiB (negative: every file to disk)", "the file is spooled to `TempDir`", func(l Limits) int64 { return l.MemoryThreshold }, 32 << 10},
}

// TestLimitsDefaults: the zero Limits resolve to the documented
// defaults, set fields are kept, and docs/security.md shows the table.
func TestLimitsDefaults(t *testing.T) {
	zero, set := Limits{}.resolved(), Limits{MaxParts: -1, MaxHeaderBytes: 7, MaxFieldBytes: 7, MaxFileBytes: 7, MaxBodyBytes: 7, MaxMemoryBytes: 7, MemoryThreshold: 7, TempDir: "x"}.resolved()
	var sb strings.Builder
	sb.WriteString("\n| Limit | Default (zero value) | Beyond it |\n|---|---|---|\n")
	for _, row := range limitRows {
		if got := row.value(zero); got != row.want {
			t.Errorf("zero %s = %d, want %d", row.limit, got, row.want)
		}
		if got := row.value(set); got != 7 && !(row.limit == "MaxParts" && got == -1) {
			t.Errorf("set %s changed to %d", row.limit, got)
		}
		fmt.Fprintf(&sb, "| `%s`: %s | %s | %s |\n", row.limit, row.doc, row.def, row.beyond)
	}
	sb.WriteString("\n")
	if zero.TempDir != os.TempDir() || set.TempDir != "x" {
		t.Errorf("TempDir = %q / %q", zero.TempDir, set.TempDir)
	}
	wharftest.DocSection(t, "../docs/security.md", "upload-limits", sb.String(), *updateDocs)
}

// TestLimitError: the message names the limit and the part, and the
// error is a 413 for the container.
func TestLimitError(t *testing.T) {
	for _, tt := range []struct {
		e    LimitError
		want string
	}{
		{LimitError{Limit: "MaxBodyBytes", Max: 10}, "formdata: body over MaxBodyBytes (10)"},
		{LimitError{Limit: "MaxHeaderBytes", Max: 5, Part: 2}, "formdata: part 2 over MaxHeaderBytes (5)"},
		{LimitError{Limit: "MaxFieldBytes", Max: 5, Part: 1, Name: "a"}, `formdata: part 1 (field "a") over MaxFieldBytes (5)`},
		{LimitError{Limit: "MaxFileBytes", Max: 5, Part: 3, Name: "a", Filename: "f.txt"}, `formdata: part 3 (field "a", file "f.txt") over MaxFileBytes (5)`},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		err := tooLarge(&tt.e)
		if !errors.Is(err, api.ErrBodyTooLarge) || api.StatusOf(err) != http.StatusRequestEntityTooLarge {
			t.Errorf("%v: not a 413 wrapping ErrBodyTooLarge", err)
		}
	}
}
