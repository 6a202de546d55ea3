package main

import (
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharf-go/wharf/api"
)

// maxAttachmentBytes bounds one attached file; a larger one is a 413.
const maxAttachmentBytes = 8 << 20

// upload attaches the multipart part "file" to a post of the user's. The
// file is written under a fresh random name, which is what the URL
// carries: neither the client's file name nor the post leaks into the
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
	// Refuse before reading the body: a stranger's upload is not even
	// spooled.
	if author, err := a.board.authorOf(id); err != nil {
		return err
	} else if author != user {
		return errNotAuthor
	}
	return parseUpload(w, r, func(w api.Response, f uploadedFile, err error) error {
		if err != nil {
			return err
		}
		att, err := a.store(f)
		if err != nil {
			return err
		}
		if err := a.board.attach(id, user, att); err != nil {
			os.Remove(filepath.Join(a.dir, strings.TrimPrefix(att.URL, "/attachments/")))
			return err
		}
		w.Header().Set("Location", att.URL)
		return writeJSON(w, http.StatusCreated, att)
	})
}

// store copies an uploaded file into the attachments directory. The copy
// is written under a temporary name and renamed into place, so that a
// reader never sees half a file.
func (a *app) store(f uploadedFile) (Attachment, error) {
	in, err := f.Open()
	if err != nil {
		return Attachment{}, err
	}
	defer in.Close()
	name := rand.Text() + extension(f.Name())
	tmp, err := os.CreateTemp(a.dir, ".upload-*")
	if err != nil {
		return Attachment{}, err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	n, err := io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Attachment{}, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(a.dir, name)); err != nil {
		return Attachment{}, err
	}
	return Attachment{URL: "/attachments/" + name, Size: n}, nil
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
