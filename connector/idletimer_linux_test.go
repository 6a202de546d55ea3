package connector_test

import "github.com/wharf-go/wharf/connector"

// heldIdleTimers counts the suspended requests whose epoll connection
// keeps an idle timer; nil where there is no epoll connector.
var heldIdleTimers = connector.HeldIdleTimers
