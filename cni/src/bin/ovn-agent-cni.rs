//! `ovn-agent-cni`: the CNI plugin binary a container runtime executes. It answers VERSION itself and
//! forwards everything else to the ovn-agent's CNI socket, printing the agent's answer. No async
//! runtime, so it starts in about a millisecond; stdout carries only the result or error JSON, logs
//! go to stderr.

#![deny(clippy::print_stdout)]

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::process::ExitCode;

use cni::protocol::{Client, Request, deadline_for};
use cni::{CniEnv, CniError, CniVersion, Command, NetConf, VersionResult};

fn main() -> ExitCode {
    let mut stdin = Vec::new();
    let read = std::io::stdin().read_to_end(&mut stdin);
    // Errors carry the caller's version when it can be read, like skel does.
    let caller_version = serde_json::from_slice::<serde_json::Value>(&stdin)
        .ok()
        .and_then(|v| v.get("cniVersion")?.as_str().map(str::to_owned));
    let outcome = read
        .map_err(|e| CniError::io("cannot read the network config from stdin", e))
        .and_then(|_| run(&stdin, caller_version.as_deref()));
    match outcome {
        Ok(Some(json)) => emit(&json),
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ovn-agent-cni: {e} (code {})", e.code());
            let version = caller_version.unwrap_or_else(|| CniVersion::LATEST.as_str().to_owned());
            let _ = emit(&serde_json::to_value(e.to_result(&version)).unwrap_or_default());
            ExitCode::FAILURE
        }
    }
}

/// The only writer of stdout: one JSON document.
fn emit(json: &serde_json::Value) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, json)
        .map_err(std::io::Error::from)
        .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ovn-agent-cni: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(stdin: &[u8], caller_version: Option<&str>) -> Result<Option<serde_json::Value>, CniError> {
    let env = CniEnv::from_process()?;
    if env.command == Command::Version {
        let v = VersionResult::new(caller_version);
        return serde_json::to_value(v)
            .map(Some)
            .map_err(|e| CniError::Internal { msg: e.to_string() });
    }
    let conf = NetConf::parse(stdin)?;
    let gated = match env.command {
        Command::Check => !conf.version.has_check(),
        Command::Status | Command::Gc => !conf.version.has_status_and_gc(),
        _ => false,
    };
    if gated {
        return Err(CniError::CommandNotInVersion {
            command: env.command.as_str(),
            version: conf.version.as_str(),
        });
    }
    if env.command.needs_netns()
        && let Some(netns) = &env.netns
    {
        refuse_own_netns(netns)?;
    }
    let deadline = deadline_for(env.command);
    let raw_args = std::env::var("CNI_ARGS").unwrap_or_default();
    let req = Request::new(
        &env,
        &raw_args,
        serde_json::Value::Object(conf.raw.clone()),
        deadline,
    );
    let result = Client::new(&conf.socket).call(&req, deadline)?;
    // Only ADD prints a result; the other verbs succeed silently.
    Ok(if env.command == Command::Add {
        result
    } else {
        None
    })
}

/// skel's guard (`ErrInvalidNetNS`): plumbing the runtime's own netns would break the host.
fn refuse_own_netns(netns: &str) -> Result<(), CniError> {
    let Ok(target) = std::fs::metadata(netns) else {
        return Ok(()); // the agent reports a missing netns with context
    };
    let own = std::fs::metadata("/proc/self/ns/net")
        .map_err(|e| CniError::io("cannot stat /proc/self/ns/net", e))?;
    if (target.dev(), target.ino()) == (own.dev(), own.ino()) {
        return Err(CniError::InvalidNetNs {
            path: netns.to_owned(),
            reason: "it is the plugin's own network namespace".into(),
        });
    }
    Ok(())
}
