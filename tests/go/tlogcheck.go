// tlogcheck: reads ankangd's log as C2SP tlog-tiles through Go's own
// implementation, golang.org/x/mod/sumdb/tlog (Debian's
// golang-golang-x-mod-dev, built in GOPATH mode: no module downloads),
// so the tiles are checked by code that is not ours:
//
//	TLOGCHECK_TOKEN=... tlogcheck [-every K] URL LOG.VKEY
//
// It fetches URL/log/checkpoint and opens it with sumdb/note and the log
// key, points tlog.TileHashReader at URL/log/tile/... through a small
// adapter (Go's tiles carry their height in the path, tile/8/L/N; the
// spec's do not, tile/L/N), recomputes the tree hash, and for every
// entry bundle (fetched with the auditor's token, from the environment
// so that it is not on a command line) checks that each leaf's
// record hash is the one in its authenticated level-0 tile and proves
// its inclusion with tlog.ProveRecord and tlog.CheckRecord (every leaf,
// or every -every'th). Prints "root ok N" and "proved M"; exits 1 on any
// failure. Leaves hold no personal data; nothing of them is printed.
package main

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

var (
	base  string
	token string
)

func get(path string, auth bool) ([]byte, error) {
	req, err := http.NewRequest("GET", base+"/log/"+path, nil)
	if err != nil {
		return nil, err
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: status %d", path, resp.StatusCode)
	}
	return body, nil
}

// specPath is Go's tile path without its height: tile/8/L/N -> tile/L/N.
func specPath(t tlog.Tile) string {
	p := t.Path()
	prefix := "tile/" + strconv.Itoa(height) + "/"
	if !strings.HasPrefix(p, prefix) {
		panic("unexpected tile path " + p)
	}
	rest := p[len(prefix):]
	if strings.HasPrefix(rest, "data/") {
		rest = "entries/" + rest[len("data/"):]
	}
	return "tile/" + rest
}

// tiles is the adapter: tlog.TileReader over HTTP, with a memory cache.
type tiles struct{ cache map[string][]byte }

func (r *tiles) Height() int { return height }

func (r *tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		p := specPath(t)
		if d, ok := r.cache[p]; ok {
			out[i] = d
			continue
		}
		d, err := get(p, false)
		if err != nil {
			return nil, err
		}
		r.cache[p] = d
		out[i] = d
	}
	return out, nil
}

func (r *tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	every := flag.Int64("every", 1, "prove every so many leaves whole")
	flag.Parse()
	if flag.NArg() != 2 || *every < 1 {
		fmt.Fprintln(os.Stderr, "usage: TLOGCHECK_TOKEN=... tlogcheck [-every K] URL LOG.VKEY")
		os.Exit(2)
	}
	base, token = flag.Arg(0), os.Getenv("TLOGCHECK_TOKEN")
	vkey, err := os.ReadFile(flag.Arg(1))
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		fail("the log key: %v", err)
	}
	msg, err := get("checkpoint", false)
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("the checkpoint does not open with the log key: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		fail("the checkpoint is not the log's")
	}
	size, err1 := strconv.ParseInt(lines[1], 10, 64)
	root, err2 := base64.StdEncoding.DecodeString(lines[2])
	if err1 != nil || err2 != nil || len(root) != tlog.HashSize {
		fail("a malformed checkpoint")
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)

	hr := tlog.TileHashReader(tree, &tiles{cache: map[string][]byte{}})
	th, err := tlog.TreeHash(size, hr)
	if err != nil {
		fail("the tree hash: %v", err)
	}
	if th != tree.Hash {
		fail("the tiles' tree hash is not the checkpoint's")
	}
	fmt.Printf("root ok %d\n", size)

	var proved int64
	for b := int64(0); b*256 < size; b++ {
		w := size - b*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: height, L: -1, N: b, W: int(w)}
		bundle, err := get(specPath(t), true)
		if err != nil {
			fail("%v", err)
		}
		// The bundle's level-0 tile, authenticated against the tree.
		t0 := tlog.Tile{H: height, L: 0, N: b, W: int(w)}
		data, err := tlog.ReadTileData(t0, hr)
		if err != nil {
			fail("tile 0/%d: %v", b, err)
		}
		for k := int64(0); k < w; k++ {
			if len(bundle) < 2 {
				fail("bundle %d is short", b)
			}
			l := int(bundle[0])<<8 | int(bundle[1])
			if len(bundle) < 2+l {
				fail("bundle %d is short", b)
			}
			leaf := bundle[2 : 2+l]
			bundle = bundle[2+l:]
			idx := b*256 + k
			h := tlog.RecordHash(leaf)
			if !bytes.Equal(h[:], data[k*tlog.HashSize:(k+1)*tlog.HashSize]) {
				fail("leaf %d is not its tile's", idx)
			}
			if idx%*every != 0 && idx != size-1 {
				continue
			}
			p, err := tlog.ProveRecord(size, idx, hr)
			if err != nil {
				fail("proving leaf %d: %v", idx, err)
			}
			if err := tlog.CheckRecord(p, size, tree.Hash, idx, h); err != nil {
				fail("leaf %d: %v", idx, err)
			}
			proved++
		}
		if len(bundle) != 0 {
			fail("bundle %d has bytes past its %d entries", b, w)
		}
	}
	fmt.Printf("proved %d\n", proved)
}
