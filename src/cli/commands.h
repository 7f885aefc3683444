/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommand table: one line per subcommand, in the order `--help` lists them. CLI_COMMAND
 * names a function of the bptee executable; CLI_PLUGIN one of a plugin (cli/plugin.h), for the
 * commands that alone need a library. Included twice by main.c: once for the declarations, once
 * (with CLI_COMMAND and CLI_PLUGIN defined) for the table. */
#ifndef CLI_COMMAND
#ifndef BPTEE_CLI_COMMANDS_H
#define BPTEE_CLI_COMMANDS_H
int cmd_agent(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_owner(int argc, char **argv);
int cmd_provision(int argc, char **argv);
int cmd_result(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_verify(int argc, char **argv);
#endif
#else
CLI_PLUGIN("agent", "agent", cmd_agent, "run the in-TEE agent: key exchange API, job socket, signing key")
CLI_COMMAND("attest", cmd_attest, "obtain SEV-SNP, TDX or Azure vTPM evidence here (or from the simulator)")
CLI_PLUGIN("audit", "owner", cmd_audit, "verify the agent's signed access log offline, or fetch it")
CLI_COMMAND("config", cmd_config, "check a TEE config file or print the defaults")
CLI_COMMAND("grant", cmd_grant, "register a job started by hand with the agent, for its secrets")
CLI_COMMAND("inspect", cmd_inspect, "print every field of an attestation report")
CLI_COMMAND("owner", cmd_owner, "make a secret owner's key pair for the agent's owners config")
CLI_PLUGIN("provision", "owner", cmd_provision, "verify an agent's attestation and provision secrets to it over HTTP")
CLI_COMMAND("result", cmd_result, "verify an attested result, or recover the bytes the job produced")
CLI_PLUGIN("revoke", "owner", cmd_revoke, "revoke secrets on an agent (signed by their owner)")
CLI_COMMAND("run", cmd_run, "run a job: routed by mode, in the TEE with secrets and an attested result")
CLI_PLUGIN("seal", "owner", cmd_seal, "verify a key-exchange offer and seal a secret to its key")
CLI_COMMAND("sim", cmd_sim, "the simulated TEE: state, raw reports, configfs-tsm emulation")
CLI_COMMAND("verify", cmd_verify, "verify attestation evidence under a policy")
#endif
