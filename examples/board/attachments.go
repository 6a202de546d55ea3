package main

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/formdata"
)

const (
	// maxAttachmentBytes bounds one attached file; a larger one is a 413.
	maxAttachmentBytes = 8 << 20
	// uploadTimeout is how long an upload may take, longer than the
	// container's 30 s default: 8 MiB is minutes on a slow link.
	uploadTimeout = 5 * time.Minute
	// spoolDir, under the attachments directory, holds uploads while they
	// arrive. Being in the same file system, a finished one is renamed
	// into place, never copied, so no half file is ever served; being a
	// dot directory, static never serves what is in it.
	spoolDir = ".uploads"
)

// uploadLimits allow one file part of maxAttachmentBytes, and little
// beside: the page sends nothing else.
func (a *app) uploadLimits() formdata.Limits {
	return formdata.Limits{
		MaxParts:        4,
		MaxFieldBytes:   1 << 10,
		MaxFileBytes:    maxAttachmentBytes,
		MaxBodyBytes:    maxAttachmentBytes + 64<<10, // the parts' headers and boundaries
		MaxMemoryBytes:  64 << 10,
		MemoryThreshold: -1, // every file to disk, to be renamed into place
		TempDir:         filepath.Join(a.dir, spoolDir),
	}
}

// upload attaches the multipart part "file" to a post of the user's. The
// body is read as it arrives, holding no goroutine while a slow client
// sends it. The file is kept under a fresh random name, which is what the
// URL carries: neither the client's file name nor the post shows in the
// path, and one name never serves two files.
func (a *app) upload(w api.Response, r *api.Request) error {
	user, ok := userOf(r)
	if !ok {
		return errLoggedOut
	}
	id, err := postID(r)
	if err != nil {
		return err
	}
	// Refuse before reading the body: a stranger's upload, or one past
	// the limits, is not even spooled.
	if err := a.board.mayAttach(id, user); err != nil {
		return err
	}
	ac, err := formdata.ParseAsync(r, a.uploadLimits(), func(w api.Response, f *formdata.Form, err error) error {
		if err != nil {
			return err // 413 over a limit, 400 for a malformed body
		}
		fh := f.File("file")
		if fh == nil {
			return api.Error(http.StatusBadRequest, `send the file as the multipart/form-data part "file"`)
		}
		name := rand.Text() + extension(fh.Filename)
		path := filepath.Join(a.dir, name)
		if err := fh.SaveTo(path); err != nil {
			return err
		}
		att := Attachment{URL: "/attachments/" + name, Size: fh.Size}
		// The post may have gone while its file arrived.
		if err := a.board.attach(id, user, att); err != nil {
			os.Remove(path)
			return err
		}
		w.Header().Set("Location", att.URL)
		return writeJSON(w, http.StatusCreated, att)
	})
	if err != nil {
		return err // refused before reading: no multipart body, or too long
	}
	ac.SetTimeout(uploadTimeout)
	// An upload may take minutes, longer than a shutdown waits: one still
	// arriving when the board stops is answered 503 at once, for its
	// client to send again (to another instance), rather than holding
	// the shutdown until it fails.
	ac.SetOnShutdown(async.ShutdownExpire)
	return nil
}

// extension keeps a short, plain extension of the client's file name, so
// that the file is served with its type; anything else is dropped.
func extension(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	if len(ext) < 2 || len(ext) > 9 {
		return ""
	}
	for _, c := range ext[1:] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return ""
		}
	}
	return ext
}

// removeAttachment deletes att's file. Its name is one the board made
// (rand.Text and a plain extension), so it stays inside the directory.
func (a *app) removeAttachment(att Attachment) {
	name := strings.TrimPrefix(att.URL, "/attachments/")
	if name == att.URL || strings.ContainsAny(name, `/\`) || name == "" {
		return
	}
	if err := os.Remove(filepath.Join(a.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.log.Warn("board: removing an attachment", "file", name, "err", err)
	}
}

// removeEarlierFiles deletes from dir what an earlier run of the board
// left there: posts live in memory, so no post names a file of a run
// before this one, and such a file would be served at its URL and never
// counted against maxAttachedBytes, filling the disk one restart at a
// time; and the uploads it was spooling when it stopped. Only names the
// board makes (attachedName) are touched, so that a directory given by
// mistake loses nothing else. It returns how many files it removed.
func removeEarlierFiles(dir string) (int, error) {
	removed := 0
	for _, d := range []string{dir, filepath.Join(dir, spoolDir)} {
		entries, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return removed, err
		}
		for _, e := range entries {
			// Every file in spoolDir, the board's own, is an upload's.
			if !e.Type().IsRegular() || d == dir && !attachedName(e.Name()) {
				continue
			}
			if err := os.Remove(filepath.Join(d, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// attachedName reports whether name is one upload gives a file:
// rand.Text's 26 characters of base32 and what extension keeps.
func attachedName(name string) bool {
	base, ext := name, ""
	if i := strings.IndexByte(name, '.'); i >= 0 {
		base, ext = name[:i], name[i:]
	}
	if len(base) != 26 || ext != "" && extension(ext) != ext {
		return false
	}
	for _, c := range base {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
