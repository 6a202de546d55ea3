//go:build !unix

package static

import "io/fs"

// inode reports no inode where the platform has none to give: the ETag is
// then size and modification time only.
func inode(fs.FileInfo) (uint64, bool) { return 0, false }
