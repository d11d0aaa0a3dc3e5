// Package download writes the files of an RDS backup to a directory, safely, as a transfer
// manager: the file list and links come from the client package
// (github.com/rdskit/rdsbackup/gen/rdsbackup); this package only moves bytes to disk.
//
// What it promises:
//
//   - Nothing is written outside the target directory. Names from the API are checked before
//     anything is written (no separators, no control or bidirectional characters, short
//     enough for every working file), and working files are opened without following
//     symbolic links or blocking on FIFOs; anything that is not a regular file is refused.
//   - Nothing is lost. Each file is written as NAME.part and renamed to NAME only once its
//     length fits the API's size and, where the object's ETag is an MD5, its MD5 matches.
//     An interrupted transfer resumes with Range and If-Range; an expired link is replaced.
//   - Every retry is bounded and waits between attempts; a 416 to a resume means the .part
//     already holds the whole object when Content-Range says so.
//   - One run per directory at a time (an exclusive lock on DIR/.rdsbackup.lock).
//   - Secrets (links, credentials echoed by a server) never appear in errors or logs.
//
// A minimal use:
//
//	api, _ := rdsbackup.NewFromEnv()
//	d := &download.Downloader{API: api, Dir: "backups", Parallel: 4}
//	results, err := d.Download(ctx, backupID, nil)
//
// See the README's "Downloading" section for the command-line tool built on it.
package download
