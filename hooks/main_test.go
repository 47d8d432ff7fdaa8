package hooks

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// helperEnv switches the test binary into a helper program (the os/exec
// testing trick): it then acts as an external hook or a log writer, and
// never runs the tests.
const helperEnv = "REIN_HOOKS_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// runHelper runs the helper named mode with one argument.
func runHelper(mode, arg string) int {
	switch mode {
	case "cut": // cut when a token's text equals arg
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			var ev Event
			if err := json.Unmarshal(in.Bytes(), &ev); err != nil {
				fmt.Fprintln(os.Stderr, "bad event:", err)
				return 2
			}
			if ev.Kind == KindToken && ev.Text == arg {
				fmt.Printf("{\"action\":\"continue\"}\n\n{\"action\":\"cut\",\"reason\":\"saw %s at seq %d\"}\n", arg, ev.Seq)
			}
		}
		return 0
	case "abort": // abort on the first event, and complain on stderr
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			fmt.Fprintln(os.Stderr, "aborting:", arg)
			fmt.Printf("{\"action\":\"abort\",\"reason\":%q}\n", arg)
		}
		return 0
	case "garbage": // a line that is not a decision
		fmt.Println("hello, I am not JSON")
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			fmt.Println(`{"action":"explode"}`)
		}
		return 0
	case "exit": // exit at once with status arg
		n, _ := strconv.Atoi(arg)
		return n
	case "exit-late": // never read stdin, exit 0 after the duration arg
		d, _ := time.ParseDuration(arg)
		time.Sleep(d)
		return 0
	case "hang": // never read stdin, never exit
		time.Sleep(time.Hour)
		return 0
	case "append": // append lines to the log at arg
		n, _ := strconv.Atoi(os.Getenv("REIN_APPEND_N"))
		who := os.Getenv("REIN_APPEND_WHO")
		for i := range n {
			rec := logRec{Who: who, I: i, Pad: strings.Repeat("x", 100+i%900)}
			if err := AppendJSONL(arg, rec, 0); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper", mode)
	return 2
}

// logRec is what the append tests write.
type logRec struct {
	Who string `json:"who"`
	I   int    `json:"i"`
	Pad string `json:"pad"`
}

// helperArgv returns the command line that runs helper mode with arg, and
// sets the switch in the environment for the test's duration.
func helperArgv(t *testing.T, mode, arg string) []string {
	t.Helper()
	t.Setenv(helperEnv, mode)
	t.Setenv("GORACE", "atexit_sleep_ms=0") // a race-enabled helper would linger 1 s at exit
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, "-test.run=^$", arg}
}
