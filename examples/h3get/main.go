// Command h3get fetches a URL over HTTP/3 (QUIC) with quic-go's client and
// writes the body to stdout: curl's part for the examples' -h3, since
// Debian's curl speaks no HTTP/3.
//
//	go run ./examples/hello -tls -h3 -addr 127.0.0.1:8443
//	go run ./examples/h3get -k 'https://127.0.0.1:8443/hello?name=h3'
//
// -k accepts any certificate (the examples make a self-signed one);
// -cacert FILE trusts that PEM certificate instead; -v writes the status
// line and the header to stderr.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/quic-go/quic-go/http3"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h printed the usage: asked for, it is no failure, and a
			// Go command exits 0 for it (flag.ExitOnError).
			return
		}
		fmt.Fprintln(os.Stderr, "h3get:", err)
		os.Exit(1)
	}
}

// usage is the command line h3get takes.
const usage = "usage: h3get [-k] [-cacert FILE] [-v] [-timeout D] https://HOST:PORT/PATH"

// run fetches the URL the arguments name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h3get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		// The URL too, which flag's default usage leaves out.
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	insecure := fs.Bool("k", false, "accept any server certificate")
	cacert := fs.String("cacert", "", "trust the PEM certificate(s) in this file")
	verbose := fs.Bool("v", false, "write the status line and header to stderr")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(usage)
	}
	cfg := &tls.Config{InsecureSkipVerify: *insecure}
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			return err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", *cacert)
		}
	}
	tr := &http3.Transport{TLSClientConfig: cfg}
	defer tr.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if *verbose {
		fmt.Fprintf(stderr, "%s %s\n", resp.Proto, resp.Status)
		resp.Header.Write(stderr)
		fmt.Fprintln(stderr)
	}
	_, err = io.Copy(stdout, resp.Body)
	return err
}
