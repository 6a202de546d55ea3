package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// h3get fetches over HTTP/3 from a container served by package h3, with
// -k and with -cacert, and reports what it saw with -v.
func TestFetch(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	certFile, _, err := devcert.WriteFiles(t.TempDir(), cert)
	if err != nil {
		t.Fatal(err)
	}
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("Hello over " + r.Proto() + ", " + r.QueryValue("name") + "!")
		return err
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Shutdown(ctx)
		<-served
		pc.Close() // the caller's, as with net.Listener
	}()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"insecure", []string{"-k", "-v"}},
		{"cacert", []string{"-cacert", certFile, "-v"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			url := "https://localhost:" + strconv.Itoa(port) + "/hello?name=" + tc.name
			if err := run(context.Background(), append(tc.args, url), &out, &errOut); err != nil {
				t.Fatalf("%v (stderr %q)", err, errOut.String())
			}
			if want := "Hello over HTTP/3.0, " + tc.name + "!"; out.String() != want {
				t.Errorf("body %q, want %q", out.String(), want)
			}
			if !strings.HasPrefix(errOut.String(), "HTTP/3.0 200 OK\n") {
				t.Errorf("-v wrote %q", errOut.String())
			}
		})
	}
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"https://localhost:" + strconv.Itoa(port) + "/hello"}, &bytes.Buffer{}, &errOut); err == nil {
		t.Error("a self-signed certificate was trusted without -k or -cacert")
	}
	if err := run(context.Background(), nil, &bytes.Buffer{}, &errOut); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no URL: %v", err)
	}
}

// h3get -h prints its usage, the URL argument included, and exits 0, as
// a Go command whose flag set exits on error does (flag.ExitOnError):
// asking for help is not a failure. The test runs main in a child
// process, this test binary again.
func TestHelpExitsZero(t *testing.T) {
	if os.Getenv("H3GET_TEST_MAIN") == "1" {
		os.Args = []string{"h3get", "-h"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelpExitsZero$")
	cmd.Env = append(os.Environ(), "H3GET_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		t.Errorf("h3get -h exited %d, want 0 (stderr %q)", exit.ExitCode(), stderr.String())
	} else if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "https://HOST:PORT/PATH") || !strings.Contains(stderr.String(), "-cacert") {
		t.Errorf("h3get -h wrote %q, want the usage line and the flags", stderr.String())
	}
	if strings.Contains(stderr.String(), "help requested") {
		t.Errorf("h3get -h reported an error: %q", stderr.String())
	}
}
