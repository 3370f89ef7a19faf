// sluice-transfer moves a Kubernetes step's files through the artifact store, with presigned URLs
// only: the pod holds no store credentials (README, "Kubernetes").
//
//	sluice-transfer fetch --install DIR [--get DIR=URL]...
//	    copies itself to DIR/sluice-transfer (the step container runs that copy), then downloads
//	    each tar and unpacks it into its directory. The init container.
//	sluice-transfer run --outputs DIR --put URL [--scratch DIR] -- COMMAND [ARG]...
//	    runs the step's command (PID 1's signals forwarded to it), then tars DIR and PUTs it to URL.
//	    Exits with the command's exit code; an upload that fails after a successful command exits 1
//	    with the reason in /dev/termination-log. A command ended by SIGTERM (timeout, cancel) is not
//	    uploaded: nobody will collect it.
//
// Standard library only, built static (CGO_ENABLED=0): it runs in any step image.
package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const terminationLog = "/dev/termination-log"

var client = &http.Client{Timeout: 0}

func main() {
	if len(os.Args) < 2 {
		fail(2, "usage: sluice-transfer fetch|run ...")
	}
	switch os.Args[1] {
	case "fetch":
		fetchMain(os.Args[2:])
	case "run":
		os.Exit(runMain(os.Args[2:]))
	default:
		fail(2, "unknown command %q (fetch, run)", os.Args[1])
	}
}

func fail(code int, format string, args ...any) {
	msg := fmt.Sprintf("sluice-transfer: "+format, args...)
	fmt.Fprintln(os.Stderr, msg)
	appendTermination(msg)
	os.Exit(code)
}

func appendTermination(msg string) {
	f, err := os.OpenFile(terminationLog, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, msg)
}

func fetchMain(args []string) {
	var install string
	var gets [][2]string
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) {
			fail(2, "%s needs a value", args[i])
		}
		switch args[i] {
		case "--install":
			install = args[i+1]
		case "--get":
			// DIR first: a presigned URL holds '=' in its query, the directory does not.
			dir, url, ok := strings.Cut(args[i+1], "=")
			if !ok || dir == "" || url == "" {
				fail(2, "--get wants DIR=URL, got %q", args[i+1])
			}
			gets = append(gets, [2]string{url, dir})
		default:
			fail(2, "unknown option %q", args[i])
		}
		i++
	}
	if install != "" {
		if err := installSelf(install); err != nil {
			fail(1, "cannot install itself into %s: %v", install, err)
		}
	}
	for _, g := range gets {
		if err := withRetries(func() error { return download(g[0], g[1]) }); err != nil {
			fail(1, "cannot fetch %s: %v", g[1], err)
		}
	}
}

func installSelf(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(filepath.Join(dir, "sluice-transfer"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// withRetries tries three times: a store restarting or a connection reset is not the step's fault.
func withRetries(fn func() error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * time.Second)
		}
		if err = fn(); err == nil {
			return nil
		}
	}
	return err
}

func download(url, dir string) error {
	res, err := client.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(body)))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return untar(res.Body, dir)
}

// untar unpacks regular files and directories only, and nothing outside dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == "." {
			continue
		}
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("refusing archive entry %q", h.Name)
		}
		target := filepath.Join(dir, name)
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode|0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("archive entry %q: only files and directories are transferred", h.Name)
		}
	}
}

func runMain(args []string) int {
	var outputs, put, scratch string
	i := 0
	for ; i < len(args) && args[i] != "--"; i += 2 {
		if i+1 >= len(args) {
			fail(2, "%s needs a value", args[i])
		}
		switch args[i] {
		case "--outputs":
			outputs = args[i+1]
		case "--put":
			put = args[i+1]
		case "--scratch":
			scratch = args[i+1]
		default:
			fail(2, "unknown option %q", args[i])
		}
	}
	if i >= len(args)-1 || outputs == "" || put == "" {
		fail(2, "usage: sluice-transfer run --outputs DIR --put URL [--scratch DIR] -- COMMAND [ARG]...")
	}
	command := args[i+1:]

	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		// As the runtime would report it: 127 for a command that is not there, 126 otherwise.
		code := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = 127
		}
		fmt.Fprintf(os.Stderr, "sluice-transfer: %v\n", err)
		return code
	}
	var terminated atomic.Bool
	go func() {
		for s := range signals {
			if s == syscall.SIGTERM || s == syscall.SIGINT {
				terminated.Store(true)
			}
			_ = cmd.Process.Signal(s)
		}
	}()
	code := exitCode(cmd.Wait())
	if terminated.Load() {
		return code
	}
	if err := withRetries(func() error { return upload(outputs, put, scratch) }); err != nil {
		msg := fmt.Sprintf("sluice-transfer: the outputs could not be uploaded: %v", err)
		fmt.Fprintln(os.Stderr, msg)
		appendTermination(msg)
		if code == 0 {
			return 1
		}
	}
	return code
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	}
	return 1
}

// upload spools the tar to a file first: a presigned PUT needs its Content-Length up front.
func upload(dir, url, scratch string) error {
	spool, err := os.CreateTemp(scratch, "outputs-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if err := packDir(dir, spool); err != nil {
		return err
	}
	size, err := spool.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, url, io.NopCloser(spool))
	if err != nil {
		return err
	}
	req.ContentLength = size
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// packDir writes the contents of dir (sorted, relative names) as a tar: files and directories.
func packDir(dir string, w io.Writer) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, p := range names {
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case info.IsDir():
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: int64(info.Mode().Perm())})
		case info.Mode().IsRegular():
			err = writeFile(tw, p, rel, info)
		default:
			// Symlinks, sockets, devices: an output is files and directories (as with the other executors' stores).
			fmt.Fprintf(os.Stderr, "sluice-transfer: skipping %s: not a regular file or a directory\n", rel)
		}
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeFile(tw *tar.Writer, path, rel string, info fs.FileInfo) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: int64(info.Mode().Perm()), Size: info.Size()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
