package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
)

// config is what the command line asks for.
type config struct {
	addr        string
	tls         bool
	certFile    string
	keyFile     string
	h2c         bool
	h3          bool
	natsURL     string
	natsEmbed   string
	attachments string
}

// usageError is a command line the board refuses. main exits 2 on it, as
// flag.ExitOnError does, and writes it unless the flag package has
// already (printed), with the usage.
type usageError struct {
	err     error
	printed bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usage makes a usageError of a refusal the flag package did not print.
func usage(format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...)}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("board", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "TCP address to listen on")
	fs.BoolVar(&cfg.tls, "tls", false, "serve TLS (HTTP/1.1 and HTTP/2) with a self-signed certificate made at start, or with -cert and -key")
	fs.StringVar(&cfg.certFile, "cert", "", "PEM certificate file for TLS (implies -tls; with -key)")
	fs.StringVar(&cfg.keyFile, "key", "", "PEM private key file for TLS (with -cert)")
	fs.BoolVar(&cfg.h2c, "h2c", false, "accept HTTP/2 without TLS on the cleartext port (prior knowledge or Upgrade: h2c; not with -tls)")
	fs.BoolVar(&cfg.h3, "h3", false, "also serve HTTP/3 on UDP at the same port, advertised with Alt-Svc (needs -tls)")
	fs.StringVar(&cfg.natsURL, "nats", "", "keep sessions and the event log in JetStream on the NATS broker at this URL (nats://host:port)")
	fs.StringVar(&cfg.natsEmbed, "nats-embed", "", "start a NATS broker with JetStream in this process, listening at this host:port, and keep sessions and the event log there")
	fs.StringVar(&cfg.attachments, "attachments", "", "directory for attached files; the files of an earlier run, which no post names, are removed at start, so each instance needs its own (default: a temporary directory, removed when the server has shut down)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err // -h: the usage, printed, is what was asked
		}
		return config{}, &usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		return config{}, usage("unexpected arguments: %q", fs.Args())
	}
	if (cfg.certFile == "") != (cfg.keyFile == "") {
		return config{}, usage("-cert and -key go together")
	}
	if cfg.certFile != "" {
		cfg.tls = true
	}
	if cfg.h3 && !cfg.tls {
		return config{}, usage("-h3 needs -tls (or -cert and -key)")
	}
	if cfg.h2c && cfg.tls {
		// It would be taken and do nothing: the listener is TLS's, where
		// ALPN offers HTTP/2.
		return config{}, usage("-h2c is for a cleartext port; with -tls, HTTP/2 comes through ALPN")
	}
	if cfg.natsURL != "" && cfg.natsEmbed != "" {
		return config{}, usage("-nats and -nats-embed exclude each other")
	}
	return cfg, nil
}

// tlsConfig returns the certificate to serve, or nil without -tls. The
// same one serves TCP and, with -h3, QUIC.
func (cfg config) tlsConfig() (*tls.Config, error) {
	if !cfg.tls {
		return nil, nil
	}
	var cert tls.Certificate
	var err error
	if cfg.certFile == "" {
		cert, err = devcert.New()
		if err != nil {
			return nil, fmt.Errorf("making a development certificate: %w", err)
		}
	} else if cert, err = tls.LoadX509KeyPair(cfg.certFile, cfg.keyFile); err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// containerOptions are the container's options the flags ask for.
func (cfg config) containerOptions(tlsCfg *tls.Config) []container.Option {
	var opts []container.Option
	if tlsCfg != nil {
		opts = append(opts, container.WithTLSConfig(tlsCfg))
	}
	if cfg.h2c {
		opts = append(opts, container.WithH2C())
	}
	return opts
}
