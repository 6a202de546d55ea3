// Package replacefile writes a file anew, whatever was at its path: the
// bytes go to a new temporary file beside it (mode 0600), which is then
// renamed over the path. So no reader sees the file half written, the
// mode of a file that was there does not carry over (a key or an upload
// left readable by all), and a symbolic link there is replaced rather
// than written through. Packages devcert and formdata use it.
//
// It imports the standard library only.
package replacefile
