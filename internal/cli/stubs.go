package cli

import ucli "github.com/urfave/cli/v2"

// Each stub below is replaced by the file that owns the noun.

func compileCommand(e *env) *ucli.Command {
	return &ucli.Command{Name: "compile", Usage: "compile the inventory into ACLs", Action: notYet("compile")}
}
func policyCommand(e *env) *ucli.Command {
	return &ucli.Command{Name: "policy", Usage: "check the inventory and test policies", Action: notYet("policy")}
}
func usersCommand(e *env) *ucli.Command {
	return &ucli.Command{Name: "users", Usage: "manage SCRAM users", Action: notYet("users")}
}
func devCommand(e *env) *ucli.Command {
	return &ucli.Command{Name: "dev", Usage: "embedded dev cluster", Action: notYet("dev")}
}
func demoCommand(e *env) *ucli.Command {
	return &ucli.Command{Name: "demo", Usage: "end-to-end demo", Action: notYet("demo")}
}
