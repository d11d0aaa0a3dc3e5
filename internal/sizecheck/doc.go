// Package sizecheck holds two tiny programs that make the same call, one with plain net/http
// and encoding/json (plain/) and one with the client package (client/). The test beside them
// builds both and compares their sizes: consumers of the client must not pay for the
// validators, the YAML parser or the generator.
package sizecheck
