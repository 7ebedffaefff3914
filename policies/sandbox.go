package policies

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// sandboxDenied are the builtins a policy may not call unless a
// --capabilities file allows them: they reach the network or the process's
// environment (opa.runtime holds every environment variable), so a policy
// from a pull request could read credentials and send them away. Any other
// builtin OPA marks non-deterministic is denied too (sandboxAllowed lists the
// local ones kept), so a builtin a later OPA adds is denied until reviewed.
var sandboxDenied = []string{"http.send", "net.lookup_ip_addr", "opa.runtime"}

// sandboxAllowed are the non-deterministic builtins that stay in the
// sandbox: they read the clock or a random source and touch nothing outside.
var sandboxAllowed = []string{"time.now_ns", "rand.intn", "uuid.rfc4122", "io.jwt.encode_sign", "io.jwt.encode_sign_raw"}

// SandboxCapabilities are the OPA capabilities policies run with by default:
// this OPA's, without the network and runtime builtins, and with no host
// allowed for remote schema references.
func SandboxCapabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool { return sandboxDenies(b) })
	c.AllowNet = []string{}
	return c
}

func sandboxDenies(b *ast.Builtin) bool {
	if slices.Contains(sandboxDenied, b.Name) || strings.HasPrefix(b.Name, "http.") {
		return true
	}
	return b.Nondeterministic && !slices.Contains(sandboxAllowed, b.Name)
}

// capabilities are what a compilation allows: the sandbox, or a file's.
type capabilities struct {
	caps *ast.Capabilities
	file string // "" for the sandbox
}

func sandbox() *capabilities { return &capabilities{caps: SandboxCapabilities()} }

// loadCapabilities is the sandbox, or the capabilities of file (OPA's JSON
// format, as `opa capabilities` prints them) when one is given.
func loadCapabilities(file string) (*capabilities, error) {
	if file == "" {
		return sandbox(), nil
	}
	c, err := ast.LoadCapabilitiesFile(file)
	if err != nil {
		return nil, fmt.Errorf("read capabilities %s: %w", file, err)
	}
	if len(c.Builtins) == 0 {
		return nil, fmt.Errorf("read capabilities %s: no builtins (want OPA's capabilities JSON, as 'opa capabilities --current' prints it)", file)
	}
	return &capabilities{caps: c, file: file}, nil
}

// ErrSandboxed is matched (errors.Is) by a PolicyError whose error is a
// builtin the sandbox removed: the caller says how to allow it.
var ErrSandboxed = errors.New("builtin not allowed by the sandbox")

// sandboxErrorCode marks the ast.Error explain reworded.
const sandboxErrorCode = "kafkaguard_sandbox_error"

// explain rewords OPA's "undefined function http.send" for a builtin
// the sandbox removed, so the author learns why and how to opt in.
func (c *capabilities) explain(errs ast.Errors) {
	if c.file != "" {
		return
	}
	for _, e := range errs {
		name, ok := strings.CutPrefix(e.Message, "undefined function ")
		if !ok {
			continue
		}
		if b, known := ast.BuiltinMap[name]; known && sandboxDenies(b) {
			e.Message = fmt.Sprintf("builtin %s is not allowed: policies run sandboxed, without network and runtime builtins", name)
			e.Code = sandboxErrorCode
		}
	}
}
