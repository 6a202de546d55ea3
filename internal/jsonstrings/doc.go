// Package jsonstrings decodes a JSON array of strings, as json.Unmarshal
// does into a []string, without encoding/json's reflection for the array
// json.Marshal writes: package auth reads the roles it keeps in a session
// this way on every request that asks for its user. It is a codec: a
// string in, strings out, fuzzed against encoding/json.
//
// Package jsonstrings imports only the standard library.
package jsonstrings
