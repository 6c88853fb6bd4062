//! Turning off TX checksum offload (`ethtool -K <if> tx off`) through the kernel's ethtool generic
//! netlink family. There is no safe ioctl wrapper (`SIOCETHTOOL`) in `nix`, unsafe code is denied, and
//! the `ethtool` binary is not guaranteed on a node, so we speak the (small) netlink protocol
//! ourselves: resolve the `ethtool` family, then `ETHTOOL_MSG_FEATURES_SET` with the checksum bits
//! cleared. The socket belongs to the calling thread's network namespace, so call this on a thread
//! that has entered the pod's namespace.

use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, send,
    setsockopt, socket, sockopt,
};
use nix::sys::time::TimeVal;

const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLA_F_NESTED: u16 = 0x8000;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const ETHTOOL_GENL_VERSION: u8 = 1;
const ETHTOOL_MSG_FEATURES_GET: u8 = 11;
const ETHTOOL_MSG_FEATURES_SET: u8 = 12;
const ETHTOOL_A_FEATURES_HEADER: u16 = 1;
const ETHTOOL_A_FEATURES_WANTED: u16 = 3;
const ETHTOOL_A_FEATURES_ACTIVE: u16 = 4;
const ETHTOOL_A_HEADER_DEV_NAME: u16 = 2;
const ETHTOOL_A_HEADER_FLAGS: u16 = 3;
const ETHTOOL_FLAG_OMIT_REPLY: u32 = 1 << 1;
const ETHTOOL_A_BITSET_NOMASK: u16 = 1;
const ETHTOOL_A_BITSET_BITS: u16 = 3;
const ETHTOOL_A_BITSET_BITS_BIT: u16 = 1;
const ETHTOOL_A_BITSET_BIT_NAME: u16 = 2;
const ETHTOOL_A_BITSET_BIT_VALUE: u16 = 3;

/// Every checksum feature `ethtool -K tx off` clears (the kernel's `NETIF_F_CSUM_MASK`). Bits a
/// device cannot change are ignored by the kernel.
pub const TX_CHECKSUM_FEATURES: [&str; 5] = [
    "tx-checksum-ipv4",
    "tx-checksum-ip-generic",
    "tx-checksum-ipv6",
    "tx-checksum-fcoe-crc",
    "tx-checksum-sctp",
];

#[derive(Debug, thiserror::Error)]
pub enum EthtoolError {
    #[error("generic netlink socket: {0}")]
    Socket(#[source] nix::Error),
    #[error("the kernel has no ethtool netlink family")]
    NoFamily,
    #[error("kernel refused {op}: errno {errno}")]
    Refused { op: &'static str, errno: i32 },
    #[error("malformed netlink reply to {op}")]
    Malformed { op: &'static str },
}

/// Clears TX checksum offload on `ifname` in the calling thread's namespace.
pub fn disable_tx_checksum(ifname: &str) -> Result<(), EthtoolError> {
    let sock = Genl::open()?;
    let family = sock.family_id("ethtool")?;
    let mut bits = Vec::new();
    for name in TX_CHECKSUM_FEATURES {
        // A bit listed without ETHTOOL_A_BITSET_BIT_VALUE is in the mask and off.
        let bit = attr(ETHTOOL_A_BITSET_BIT_NAME, &cstr(name));
        bits.extend(attr(ETHTOOL_A_BITSET_BITS_BIT | NLA_F_NESTED, &bit));
    }
    let wanted = attr(ETHTOOL_A_BITSET_BITS | NLA_F_NESTED, &bits);
    let mut header = attr(ETHTOOL_A_HEADER_DEV_NAME, &cstr(ifname));
    header.extend(attr(
        ETHTOOL_A_HEADER_FLAGS,
        &ETHTOOL_FLAG_OMIT_REPLY.to_ne_bytes(),
    ));
    let mut payload = attr(ETHTOOL_A_FEATURES_HEADER | NLA_F_NESTED, &header);
    payload.extend(attr(ETHTOOL_A_FEATURES_WANTED | NLA_F_NESTED, &wanted));
    sock.request(family, ETHTOOL_MSG_FEATURES_SET, &payload, "FEATURES_SET")?;
    Ok(())
}

/// Whether any TX checksum feature is active on `ifname` (for CHECK and tests).
pub fn tx_checksum_active(ifname: &str) -> Result<bool, EthtoolError> {
    let sock = Genl::open()?;
    let family = sock.family_id("ethtool")?;
    let header = attr(ETHTOOL_A_HEADER_DEV_NAME, &cstr(ifname));
    let payload = attr(ETHTOOL_A_FEATURES_HEADER | NLA_F_NESTED, &header);
    let op = "FEATURES_GET";
    let reply = sock.request(family, ETHTOOL_MSG_FEATURES_GET, &payload, op)?;
    let active =
        find_attr(&reply, ETHTOOL_A_FEATURES_ACTIVE).ok_or(EthtoolError::Malformed { op })?;
    // A list-form bitset (NOMASK) names only the bits that are set; a mask-form one flags them.
    let list = find_attr(active, ETHTOOL_A_BITSET_NOMASK).is_some();
    let Some(bits) = find_attr(active, ETHTOOL_A_BITSET_BITS) else {
        return Ok(false); // no bit set at all
    };
    for (ty, bit) in Attrs(bits) {
        if ty != ETHTOOL_A_BITSET_BITS_BIT {
            continue;
        }
        let name = find_attr(bit, ETHTOOL_A_BITSET_BIT_NAME).unwrap_or_default();
        let name = name.strip_suffix(&[0]).unwrap_or(name);
        let on = list || find_attr(bit, ETHTOOL_A_BITSET_BIT_VALUE).is_some();
        if on && TX_CHECKSUM_FEATURES.iter().any(|f| f.as_bytes() == name) {
            return Ok(true);
        }
    }
    Ok(false)
}

struct Genl {
    fd: OwnedFd,
}

impl Genl {
    fn open() -> Result<Genl, EthtoolError> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkGeneric,
        )
        .map_err(EthtoolError::Socket)?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0)).map_err(EthtoolError::Socket)?;
        let t = TimeVal::new(2, 0);
        setsockopt(&fd, sockopt::ReceiveTimeout, &t).map_err(EthtoolError::Socket)?;
        Ok(Genl { fd })
    }

    fn family_id(&self, name: &str) -> Result<u16, EthtoolError> {
        let payload = attr(CTRL_ATTR_FAMILY_NAME, &cstr(name));
        let op = "CTRL_CMD_GETFAMILY";
        let reply = match self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, &payload, op) {
            Err(EthtoolError::Refused { errno: 2, .. }) => return Err(EthtoolError::NoFamily),
            r => r?,
        };
        find_attr(&reply, CTRL_ATTR_FAMILY_ID)
            .and_then(|v| v.get(..2))
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .ok_or(EthtoolError::Malformed { op })
    }

    /// Sends one request with an ACK requested and returns the attributes of the data reply, if any
    /// came before the ACK.
    fn request(
        &self,
        family: u16,
        cmd: u8,
        attrs: &[u8],
        op: &'static str,
    ) -> Result<Vec<u8>, EthtoolError> {
        let len = 16 + 4 + attrs.len();
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(&(len as u32).to_ne_bytes());
        msg.extend_from_slice(&family.to_ne_bytes());
        msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
        msg.extend_from_slice(&1u32.to_ne_bytes()); // seq: one request per socket
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(&[cmd, ETHTOOL_GENL_VERSION, 0, 0]);
        msg.extend_from_slice(attrs);
        send(self.fd.as_raw_fd(), &msg, MsgFlags::empty()).map_err(EthtoolError::Socket)?;
        let mut data = None;
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty())
                .map_err(EthtoolError::Socket)?;
            let mut rest = buf.get(..n).ok_or(EthtoolError::Malformed { op })?;
            while rest.len() >= 16 {
                let mlen = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                let ty = u16::from_ne_bytes([rest[4], rest[5]]);
                let body = rest.get(16..mlen).ok_or(EthtoolError::Malformed { op })?;
                if ty == NLMSG_ERROR {
                    let code = body
                        .get(..4)
                        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        .ok_or(EthtoolError::Malformed { op })?;
                    if code != 0 {
                        return Err(EthtoolError::Refused { op, errno: -code });
                    }
                    return Ok(data.unwrap_or_default());
                }
                if data.is_none() {
                    data = Some(body.get(4..).unwrap_or_default().to_vec());
                }
                rest = rest.get(align(mlen)..).unwrap_or_default();
            }
        }
    }
}

fn align(n: usize) -> usize {
    (n + 3) & !3
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// One netlink attribute, padded.
fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let len = 4 + payload.len();
    let mut v = Vec::with_capacity(align(len));
    v.extend_from_slice(&(len as u16).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    v.resize(align(len), 0);
    v
}

/// Iterates `(type without flags, payload)` over a run of attributes; stops at the first malformed one.
struct Attrs<'a>(&'a [u8]);

impl<'a> Iterator for Attrs<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let hdr = self.0.get(..4)?;
        let len = u16::from_ne_bytes([hdr[0], hdr[1]]) as usize;
        let ty = u16::from_ne_bytes([hdr[2], hdr[3]]) & 0x3fff;
        let payload = self.0.get(4..len)?;
        self.0 = self.0.get(align(len)..).unwrap_or_default();
        Some((ty, payload))
    }
}

fn find_attr(attrs: &[u8], ty: u16) -> Option<&[u8]> {
    Attrs(attrs).find(|(t, _)| *t == ty).map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn attributes_are_padded_and_parsed_back() {
        let a = attr(7, b"abcde");
        assert_eq!(a.len(), 12);
        assert_eq!(&a[..4], &[9, 0, 7, 0][..]);
        let mut two = a;
        two.extend(attr(8 | NLA_F_NESTED, &attr(1, b"x")));
        let got: Vec<_> = Attrs(&two).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (7, &b"abcde"[..]));
        assert_eq!(got[1].0, 8);
        assert_eq!(find_attr(got[1].1, 1), Some(&b"x"[..]));
    }

    proptest! {
        #[test]
        fn arbitrary_attribute_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            for (_, p) in Attrs(&bytes) {
                let _ = find_attr(p, 1);
            }
        }
    }
}
