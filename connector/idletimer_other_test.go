//go:build !linux

package connector_test

import "github.com/wharf-go/wharf/connector"

var heldIdleTimers func(*connector.Server) int
