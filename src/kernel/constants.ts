// The one constants module: every NetBSD ABI number the emulated kernel uses, each with the
// header it comes from. Values are from NetBSD's sys/ headers as quoted in ../shared/netbsd/*.md
// (generated tables of the Go toolchain for netbsd/amd64, checked against NetBSD/src) unless a
// comment says otherwise. NetBSD 11-only values (the close-on-fork family) are marked.

// ---- errno: sys/sys/errno.h -------------------------------------------------------------
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EDEADLK = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ETXTBSY = 26;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const EDOM = 33;
export const ERANGE = 34;
export const EAGAIN = 35;
export const EWOULDBLOCK = EAGAIN;
export const EINPROGRESS = 36;
export const EALREADY = 37;
export const ENOTSOCK = 38;
export const EDESTADDRREQ = 39;
export const EMSGSIZE = 40;
export const EPROTOTYPE = 41;
export const ENOPROTOOPT = 42;
export const EPROTONOSUPPORT = 43;
export const ESOCKTNOSUPPORT = 44;
export const EOPNOTSUPP = 45;
export const EPFNOSUPPORT = 46;
export const EAFNOSUPPORT = 47;
export const EADDRINUSE = 48;
export const EADDRNOTAVAIL = 49;
export const ENETUNREACH = 51;
export const ECONNABORTED = 53;
export const ECONNRESET = 54;
export const ENOBUFS = 55;
export const EISCONN = 56;
export const ENOTCONN = 57;
export const ETIMEDOUT = 60;
export const ECONNREFUSED = 61;
export const EHOSTUNREACH = 65;
export const ELOOP = 62;
export const ENAMETOOLONG = 63;
export const ENOTEMPTY = 66;
export const EDQUOT = 69;
export const ESTALE = 70;
export const ENOLCK = 77;
export const ENOSYS = 78;
export const EFTYPE = 79;
export const EOVERFLOW = 84;
export const ENOTSUP = 86;
export const EIDRM = 82;
export const ENOMSG = 83;
export const ECANCELED = 87;
// Kernel-internal pseudo errors (sys/sys/errno.h, #ifdef _KERNEL): never reach the guest.
export const ERESTART = -3;
export const EJUSTRETURN = -2;
/** A driver does not know the ioctl: sys_ioctl answers ENOTTY (sys/sys/errno.h). */
export const EPASSTHROUGH = -4;

/** errno number → [name, message] (sys/sys/errno.h; messages from lib/libc/gen/errlist). */
export const ERRNO_NAMES: Record<number, [string, string]> = {
  1: ['EPERM', 'Operation not permitted'],
  2: ['ENOENT', 'No such file or directory'],
  3: ['ESRCH', 'No such process'],
  4: ['EINTR', 'Interrupted system call'],
  5: ['EIO', 'Input/output error'],
  6: ['ENXIO', 'Device not configured'],
  7: ['E2BIG', 'Argument list too long'],
  8: ['ENOEXEC', 'Exec format error'],
  9: ['EBADF', 'Bad file descriptor'],
  10: ['ECHILD', 'No child processes'],
  11: ['EDEADLK', 'Resource deadlock avoided'],
  12: ['ENOMEM', 'Cannot allocate memory'],
  13: ['EACCES', 'Permission denied'],
  14: ['EFAULT', 'Bad address'],
  16: ['EBUSY', 'Device busy'],
  17: ['EEXIST', 'File exists'],
  18: ['EXDEV', 'Cross-device link'],
  19: ['ENODEV', 'Operation not supported by device'],
  20: ['ENOTDIR', 'Not a directory'],
  21: ['EISDIR', 'Is a directory'],
  22: ['EINVAL', 'Invalid argument'],
  23: ['ENFILE', 'Too many open files in system'],
  24: ['EMFILE', 'Too many open files'],
  25: ['ENOTTY', 'Inappropriate ioctl for device'],
  26: ['ETXTBSY', 'Text file busy'],
  27: ['EFBIG', 'File too large'],
  28: ['ENOSPC', 'No space left on device'],
  29: ['ESPIPE', 'Illegal seek'],
  30: ['EROFS', 'Read-only file system'],
  31: ['EMLINK', 'Too many links'],
  32: ['EPIPE', 'Broken pipe'],
  33: ['EDOM', 'Numerical argument out of domain'],
  34: ['ERANGE', 'Result too large or too small'],
  35: ['EAGAIN', 'Resource temporarily unavailable'],
  36: ['EINPROGRESS', 'Operation now in progress'],
  37: ['EALREADY', 'Operation already in progress'],
  38: ['ENOTSOCK', 'Socket operation on non-socket'],
  39: ['EDESTADDRREQ', 'Destination address required'],
  40: ['EMSGSIZE', 'Message too long'],
  41: ['EPROTOTYPE', 'Protocol wrong type for socket'],
  42: ['ENOPROTOOPT', 'Protocol option not available'],
  43: ['EPROTONOSUPPORT', 'Protocol not supported'],
  44: ['ESOCKTNOSUPPORT', 'Socket type not supported'],
  45: ['EOPNOTSUPP', 'Operation not supported'],
  46: ['EPFNOSUPPORT', 'Protocol family not supported'],
  47: ['EAFNOSUPPORT', 'Address family not supported by protocol family'],
  48: ['EADDRINUSE', 'Address already in use'],
  49: ['EADDRNOTAVAIL', "Can't assign requested address"],
  51: ['ENETUNREACH', 'Network is unreachable'],
  53: ['ECONNABORTED', 'Software caused connection abort'],
  54: ['ECONNRESET', 'Connection reset by peer'],
  55: ['ENOBUFS', 'No buffer space available'],
  56: ['EISCONN', 'Socket is already connected'],
  57: ['ENOTCONN', 'Socket is not connected'],
  60: ['ETIMEDOUT', 'Connection timed out'],
  61: ['ECONNREFUSED', 'Connection refused'],
  65: ['EHOSTUNREACH', 'No route to host'],
  62: ['ELOOP', 'Too many levels of symbolic links'],
  63: ['ENAMETOOLONG', 'File name too long'],
  66: ['ENOTEMPTY', 'Directory not empty'],
  69: ['EDQUOT', 'Disc quota exceeded'],
  70: ['ESTALE', 'Stale NFS file handle'],
  77: ['ENOLCK', 'No locks available'],
  78: ['ENOSYS', 'Function not implemented'],
  79: ['EFTYPE', 'Inappropriate file type or format'],
  84: ['EOVERFLOW', 'Value too large to be stored in data type'],
  82: ['EIDRM', 'Identifier removed'],
  83: ['ENOMSG', 'No message of desired type'],
  86: ['ENOTSUP', 'Not supported'],
  87: ['ECANCELED', 'Operation canceled'],
};

// ---- Address families and socket types: sys/sys/socket.h ---------------------------------
export const AF_UNSPEC = 0;
export const AF_LOCAL = 1; // == AF_UNIX
export const AF_INET = 2;
export const AF_INET6 = 24;
export const AF_ROUTE = 34;
export const AF_MAX = 35;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_CLOEXEC = 0x10000000;
export const SOCK_NONBLOCK = 0x20000000;
export const SOCK_NOSIGPIPE = 0x40000000;
// NetBSD 11 adds SOCK_CLOFORK (tests/kernel/t_clofork.c). Its value was not found in a stored
// sys/sys/socket.h; 0x80000000 is the one free bit inside SOCK_FLAGS_MASK (unverified).
export const SOCK_CLOFORK = 0x80000000;
export const SOCK_FLAGS_MASK = 0xf0000000;

// ---- Socket options: sys/sys/socket.h ----------------------------------------------------
export const SOL_SOCKET = 0xffff;
export const SO_DEBUG = 0x1;
export const SO_ACCEPTCONN = 0x2;
export const SO_REUSEADDR = 0x4;
export const SO_KEEPALIVE = 0x8;
export const SO_DONTROUTE = 0x10;
export const SO_BROADCAST = 0x20;
export const SO_USELOOPBACK = 0x40;
export const SO_LINGER = 0x80;
export const SO_OOBINLINE = 0x100;
export const SO_REUSEPORT = 0x200;
export const SO_NOSIGPIPE = 0x800;
export const SO_TIMESTAMP = 0x2000;
export const SO_SNDBUF = 0x1001;
export const SO_RCVBUF = 0x1002;
export const SO_SNDLOWAT = 0x1003;
export const SO_RCVLOWAT = 0x1004;
export const SO_ERROR = 0x1007;
export const SO_TYPE = 0x1008;
export const SO_OVERFLOWED = 0x1009;
export const SO_NOHEADER = 0x100a;
export const SO_SNDTIMEO = 0x100b;
export const SO_RCVTIMEO = 0x100c;

// ---- Message flags: sys/sys/socket.h -------------------------------------------------------
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_EOR = 0x8;
export const MSG_TRUNC = 0x10;
export const MSG_CTRUNC = 0x20;
export const MSG_WAITALL = 0x40;
export const MSG_DONTWAIT = 0x80;
export const MSG_NOSIGNAL = 0x400;
export const MSG_CMSG_CLOEXEC = 0x800;
/** recvmmsg: wait for the first message only (sys/sys/socket.h: MSG_NBIO is 0x1000). */
export const MSG_WAITFORONE = 0x2000;
/** struct mmsghdr: a msghdr (48 bytes), then unsigned int msg_len, padded to 8. */
export const MMSGHDR_SIZE = 56;
// Control message types (sys/sys/socket.h).
export const SCM_RIGHTS = 0x1;
/** SCM_CREDS carries struct sockcred (sys/sys/socket.h 1.131.4.1); 0x4 is the retired SCM_OCREDS. */
export const SCM_CREDS = 0x10;

// ---- shutdown(2) (sys/sys/socket.h), local-socket options (sys/sys/un.h), sockcred --------------
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
export const SOL_LOCAL = 0;
export const LOCAL_OCREDS = 0x0001;
export const LOCAL_CONNWAIT = 0x0002;
export const LOCAL_PEEREID = 0x0003;
export const LOCAL_CREDS = 0x0004;
/** SOMAXCONN: the largest listen backlog (sys/sys/socket.h; kern.somaxconn default). */
export const SOMAXCONN = 128;
/** sizeof(struct sockaddr_un): sun_len, sun_family, sun_path[104]. */
export const SOCKADDR_UN_SIZE = 106;
export const SUN_PATH_OFFSET = 2;

// ---- Unix-domain socket buffer sizes: sys/kern/uipc_usrreq.c 1.179 (unpst_*, unpdg_*) ---------
/** MCLBYTES (sys/arch/amd64/include/param.h): the default send low-water mark (soreserve). */
export const MCLBYTES = 2048;
export const PIPSIZ = 4096;
export const UNPST_SENDSPACE = PIPSIZ; // stream and seqpacket
export const UNPST_RECVSPACE = PIPSIZ;
export const UNPDG_SENDSPACE = 2 * 1024; // "really max datagram size"
export const UNPDG_RECVSPACE = 4 * 1024;

// ---- Internet sockets: sys/netinet/in.h, tcp.h, in_pcb.c, tcp_usrreq.c, udp_usrreq.c ----------
export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
/** sizeof(struct sockaddr_in): sin_len, sin_family, sin_port, sin_addr, sin_zero[8]. */
export const SOCKADDR_IN_SIZE = 16;
/** sizeof(struct sockaddr_in6): sin6_len, family, port, flowinfo, addr[16], scope_id. */
export const SOCKADDR_IN6_SIZE = 28;
/** IPPORT_RESERVED: binding below it needs privilege; the anonymous (ephemeral) range. */
export const IPPORT_RESERVED = 1024;
export const IPPORT_ANONMIN = 49152;
export const IPPORT_ANONMAX = 65535;
// IPPROTO_IP options (netinet/in.h)
export const IP_OPTIONS = 1;
export const IP_HDRINCL = 2;
export const IP_TOS = 3;
export const IP_TTL = 4;
export const IP_RECVOPTS = 5;
export const IP_MULTICAST_IF = 9;
export const IP_MULTICAST_TTL = 10;
export const IP_MULTICAST_LOOP = 11;
export const IP_ADD_MEMBERSHIP = 12;
export const IP_DROP_MEMBERSHIP = 13;
export const IP_PORTRANGE = 19;
export const IP_RECVIF = 20;
export const IP_RECVTTL = 23;
export const IP_MINTTL = 24;
export const IP_PKTINFO = 25;
export const IP_RECVPKTINFO = 26;
/** ip_defttl (netinet/ip_input.c: IPDEFTTL). */
export const IPDEFTTL = 64;
// IPPROTO_IPV6 options (netinet6/in6.h)
export const IPV6_UNICAST_HOPS = 4;
export const IPV6_MULTICAST_IF = 9;
export const IPV6_MULTICAST_HOPS = 10;
export const IPV6_MULTICAST_LOOP = 11;
export const IPV6_JOIN_GROUP = 12;
export const IPV6_LEAVE_GROUP = 13;
export const IPV6_PORTRANGE = 14;
export const IPV6_V6ONLY = 27;
export const IPV6_RECVPKTINFO = 36;
export const IPV6_RECVHOPLIMIT = 37;
export const IPV6_TCLASS = 61;
// IPPROTO_TCP options (netinet/tcp.h)
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_KEEPIDLE = 3;
export const TCP_NOPUSH = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_KEEPINIT = 7;
export const TCP_INFO = 9;
export const TCP_MD5SIG = 0x10;
export const TCP_CONGCTL = 0x20;
/** tcp_sendspace, tcp_recvspace (netinet/tcp_usrreq.c: TCP_SENDSPACE, TCP_RECVSPACE 1024*32). */
export const TCP_SENDSPACE = 32 * 1024;
export const TCP_RECVSPACE = 32 * 1024;
/** udp_sendspace (9216: the largest datagram) and udp_recvspace (netinet/udp_usrreq.c). */
export const UDP_SENDSPACE = 9216;
export const UDP_RECVSPACE = 40 * (1024 + SOCKADDR_IN_SIZE); // udp_usrreq.c 1.258: sizeof(struct sockaddr_in)

// ---- System V shared memory: sys/sys/ipc.h, sys/sys/shm.h, sys/kern/sysv_shm.c 1.141 ----------
export const IPC_R = 0o400; // read permission (the same bits as S_IRUSR)
export const IPC_W = 0o200;
export const IPC_M = 0o10000; // change the control info
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const IPC_PRIVATE = 0;
export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;
export const SHM_LOCK = 3;
export const SHM_UNLOCK = 4;
export const SHM_RDONLY = 0o10000;
export const SHM_RND = 0o20000;
/** SHMLBA: the attach address granularity; one page on amd64. */
export const SHMLBA = 4096;
/** shm_perm.mode's kernel bits (sysv_shm.c). */
export const SHMSEG_FREE = 0x0200;
export const SHMSEG_REMOVED = 0x0400;
export const SHMSEG_ALLOCATED = 0x0800;
export const SHMSEG_WIRED = 0x4000;
/** shminfo defaults (sys/conf/param.c SHMMNI, SHMSEG; shmmin 1). */
export const SHMMNI = 128;
export const SHMSEG = 128;
export const SHMMIN = 1;
/** sizeof(struct shmid_ds) on LP64: ipc_perm (32), segsz, lpid, cpid, nattch, atime, dtime, ctime, _shm_internal. */
export const SHMID_DS_SIZE = 88;

// ---- System V semaphores: sys/sys/sem.h, sys/kern/sysv_sem.c 1.94 -----------------------------
export const GETNCNT = 3;
export const GETPID = 4;
export const GETVAL = 5;
export const GETALL = 6;
export const GETZCNT = 7;
export const SETVAL = 8;
export const SETALL = 9;
export const SEM_UNDO = 0o10000;
/** sem_perm.mode: the set is allocated. */
export const SEM_ALLOC = 0o1000;
/** seminfo defaults (sys/sys/sem.h): ids, semaphores, undo entries per process, undo structures,
 * semaphores per id, operations per semop, the largest value. */
export const SEMMNI = 10;
export const SEMMNS = 60;
export const SEMUME = 10;
export const SEMMNU = 30;
export const SEMMSL = SEMMNS;
export const SEMOPM = 100;
export const SEMVMX = 32767;
/** sizeof(struct semid_ds) on LP64: ipc_perm (32), sem_nsems, sem_otime, sem_ctime, _sem_base. */
export const SEMID_DS_SIZE = 64;

// ---- System V message queues: sys/sys/msg.h, sys/kern/sysv_msg.c 1.69 -------------------------
export const MSG_NOERROR = 0o10000;
/** msg_perm.mode: a sender waiting for room holds the queue (later senders wait behind it). */
export const MSG_LOCKED = 0o4000;
/** msginfo defaults (sys/sys/msg.h): queues, bytes per queue, segment size and count, headers. */
export const MSGMNI = 40;
export const MSGMNB = 2048;
export const MSGSSZ = 8;
export const MSGSEG = 2048;
export const MSGTQL = 40;
/** sizeof(struct msqid_ds) on LP64: ipc_perm (32), qnum, qbytes, lspid, lrpid, stime, rtime, ctime, first, last, cbytes. */
export const MSQID_DS_SIZE = 104;

// ---- File status flags: sys/sys/fcntl.h --------------------------------------------------
export const O_RDONLY = 0x0;
export const O_WRONLY = 0x1;
export const O_RDWR = 0x2;
export const O_ACCMODE = 0x3;
export const O_NONBLOCK = 0x4;
export const O_APPEND = 0x8;
export const O_SHLOCK = 0x10;
export const O_EXLOCK = 0x20;
export const O_ASYNC = 0x40;
export const O_FSYNC = 0x80;
export const O_NOFOLLOW = 0x100;
export const O_CREAT = 0x200;
export const O_TRUNC = 0x400;
export const O_EXCL = 0x800;
export const O_NOCTTY = 0x8000;
export const O_DSYNC = 0x10000;
export const O_RSYNC = 0x20000;
export const O_ALT_IO = 0x40000;
export const O_DIRECT = 0x80000;
export const O_DIRECTORY = 0x200000;
export const O_CLOEXEC = 0x400000;
export const O_NOSIGPIPE = 0x1000000;
// NetBSD 11: O_CLOFORK. Value from the fallback define in lib/libc/compat/sys/compat_dup3.c 1.3
// (2025/07/17); sys/sys/fcntl.h of NetBSD 11 was not available to check.
export const O_CLOFORK = 0x8000000;

/** Kernel file flags (sys/sys/fcntl.h, _KERNEL): FFLAGS(o) = o + 1, OFLAGS(f) = f - 1. */
export const FREAD = 0x1;
export const FWRITE = 0x2;
export const FNONBLOCK = O_NONBLOCK;
export const FAPPEND = O_APPEND;
export const FASYNC = O_ASYNC;
export const FNOSIGPIPE = O_NOSIGPIPE;
/** Flags F_SETFL may change: FCNTLFLAGS in sys/sys/fcntl.h 1.54 (not FNOSIGPIPE: F_SETNOSIGPIPE does). */
export const FCNTLFLAGS = FAPPEND | FASYNC | O_FSYNC | FNONBLOCK | O_DSYNC | O_RSYNC | O_ALT_IO | O_DIRECT;
export const FFLAGS = (oflags: number): number => oflags + 1;
export const OFLAGS = (fflags: number): number => fflags - 1;

// ---- fcntl commands: sys/sys/fcntl.h -----------------------------------------------------
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETOWN = 5;
export const F_SETOWN = 6;
export const F_GETLK = 7;
export const F_SETLK = 8;
export const F_SETLKW = 9;
export const F_CLOSEM = 10;
export const F_MAXFD = 11;
export const F_DUPFD_CLOEXEC = 12;
export const F_GETNOSIGPIPE = 13;
export const F_SETNOSIGPIPE = 14;
export const F_GETPATH = 15;
export const F_ADD_SEALS = 16;
export const F_GET_SEALS = 17;
// NetBSD 11 adds F_DUPFD_CLOFORK and FD_CLOFORK (tests/kernel/t_clofork.c uses both). Their values
// were not found in a stored NetBSD 11 sys/sys/fcntl.h: the next free command number and the next
// free descriptor-flag bit are used here (unverified).
export const F_DUPFD_CLOFORK = 18;
export const FD_CLOEXEC = 1;
export const FD_CLOFORK = 2;
/** Record-lock types (l_type) and sizeof(struct flock): l_start, l_len, l_pid, l_type, l_whence (fcntl.h 1.54). */
export const F_RDLCK = 1;
export const F_UNLCK = 2;
export const F_WRLCK = 3;
// lf_flags of the kernel's struct lockf (sys/sys/fcntl.h, the _KERNEL block: how a lock behaves
// and whether its caller waits).
export const F_WAIT = 0x010;
export const F_FLOCK = 0x020;
export const F_POSIX = 0x040;
export const FLOCK_SIZE = 24;

// ---- Resource limits: sys/sys/resource.h -------------------------------------------------
export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_MEMLOCK = 6;
export const RLIMIT_NPROC = 7;
export const RLIMIT_NOFILE = 8;
export const RLIMIT_SBSIZE = 9;
export const RLIMIT_AS = 10;
export const RLIMIT_NTHR = 11;
export const RLIM_NLIMITS = 12;
/** RLIM_INFINITY = (~((u_quad_t)1 << 63)) (sys/sys/resource.h). */
export const RLIM_INFINITY = 0x7fffffffffffffffn;

// ---- Memory: sys/sys/mman.h, sys/arch/amd64/include/vmparam.h ------------------------------
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 0x1;
export const MAP_PRIVATE = 0x2;
/** MAP_COPY (sys/sys/mman.h, _KERNEL only): deprecated, sys_mmap turns it into MAP_PRIVATE. */
export const MAP_COPY = 0x4;
export const MAP_FIXED = 0x10;
export const MAP_RENAME = 0x20;
export const MAP_NORESERVE = 0x40;
export const MAP_INHERIT = 0x80;
export const MAP_HASSEMAPHORE = 0x200;
export const MAP_TRYFIXED = 0x400;
export const MAP_WIRED = 0x800;
export const MAP_ANON = 0x1000;
export const MAP_STACK = 0x2000;
export const MAP_ALIGNMENT_SHIFT = 24;
export const MAP_ALIGNMENT_MASK = 0xff000000;
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const VM_MAXUSER_ADDRESS = 0x7f7ffffff000;
export const USRSTACK = VM_MAXUSER_ADDRESS;
export const MAXSSIZ = 128 * 1024 * 1024;
export const DFLSSIZ = 4 * 1024 * 1024;
/** uvm_map.c user_stack_guard_size default: 1 MiB (verify). */
export const USER_STACK_GUARD_SIZE = 1024 * 1024;

// ---- Descriptor table: sys/sys/param.h, sys/conf/param.c -----------------------------------
/** Default RLIMIT_NOFILE soft limit (OPEN_MAX, sys/sys/syslimits.h in NetBSD: 128). */
export const OPEN_MAX = 128;
/** kern.maxfiles default (MAXFILES, sys/conf/param.c: 3404 on a default amd64 kernel; verify). */
export const MAXFILES = 3404;
export const IOV_MAX = 1024;
/** NDFILE (sys/sys/filedesc.h): the initial size of a descriptor table. */
export const NDFILE = 20;
export const SSIZE_MAX = 0x7fffffffffffffff;

// ---- stat: sys/sys/stat.h ----------------------------------------------------------------
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFSOCK = 0o140000;
export const S_IFBLK = 0o060000;
export const S_IFLNK = 0o120000;
export const S_IFWHT = 0o160000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISTXT = 0o1000; // == S_ISVTX
export const ALLPERMS = 0o7777; // S_ISUID|S_ISGID|S_ISTXT|S_IRWXU|S_IRWXG|S_IRWXO
export const ACCESSPERMS = 0o777;
/** utimensat's special tv_nsec values (sys/sys/stat.h). */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
/** S_BLKSIZE: the unit of st_blocks. */
export const S_BLKSIZE = 512;

// ---- Files and paths: sys/sys/fcntl.h (1.54, 2020), sys/sys/syslimits.h, sys/sys/param.h -------
export const O_SEARCH = 0x00800000;
export const O_REGULAR = 0x02000000;
export const O_EXEC = 0x04000000;
export const AT_FDCWD = -100;
export const AT_EACCESS = 0x100;
export const AT_SYMLINK_NOFOLLOW = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_REMOVEDIR = 0x800;
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const LOCK_SH = 0x01;
export const LOCK_EX = 0x02;
export const LOCK_NB = 0x04;
export const LOCK_UN = 0x08;
/** access(2) modes (sys/sys/unistd.h). */
export const F_OK = 0;
export const X_OK = 0x01;
export const W_OK = 0x02;
export const R_OK = 0x04;
/** NAME_MAX (sys/sys/syslimits.h) = MAXNAMLEN (sys/sys/dirent.h). */
export const NAME_MAX = 511;
/** MAXSYMLINKS (sys/sys/param.h): namei gives ELOOP past this many links in one lookup. */
export const MAXSYMLINKS = 32;
/** struct dirent (sys/sys/dirent.h): d_name's offset; DT_* types. */
export const DIRENT_NAME_OFF = 13;
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;
/** struct statvfs (sys/sys/statvfs.h 1.21, 2020; __statvfs190 since NetBSD 9.99): 3296 bytes on LP64. */
export const STATVFS_SIZE = 3296;
export const VFS_NAMELEN = 32;
export const VFS_MNAMELEN = 1024;
/** MNT_* flags as seen in f_flag (sys/sys/fstypes.h). */
export const MNT_RDONLY = 0x00000001;
export const MNT_SYNCHRONOUS = 0x00000002;
export const MNT_NOEXEC = 0x00000004;
export const MNT_NOSUID = 0x00000008;
export const MNT_NODEV = 0x00000010;
export const MNT_LOCAL = 0x00001000;
/** statvfs1 flags: ST_WAIT = MNT_WAIT, ST_NOWAIT = MNT_NOWAIT (sys/sys/fstypes.h). */
export const ST_WAIT = 1;
export const ST_NOWAIT = 2;
/** __getcwd's bound on the buffer it fills (sys/kern/vfs_getcwd.c: MAXPATHLEN * 4). */
export const GETCWD_MAX = 1024 * 4;
/**
 * Character device numbers (sys/arch/amd64/conf/majors.amd64; makedev of sys/sys/types.h:
 * ((major << 8) & 0xfff00) | (minor & 0xff) | ((minor << 12) & 0xfff00000)).
 * mem is major 2 (null minor 2, zero minor 12), cons/ctty major 1, rnd major 46.
 */
export const makedev = (major: number, minor: number): number =>
  (((major << 8) & 0xfff00) | (minor & 0xff) | ((minor << 12) & 0xfff00000)) >>> 0;
export const DEV_NULL = makedev(2, 2);
export const DEV_ZERO = makedev(2, 12);
export const DEV_TTY = makedev(1, 0);
export const DEV_RANDOM = makedev(46, 0);
export const DEV_URANDOM = makedev(46, 1);

// ---- Clocks: sys/sys/time.h ----------------------------------------------------------------
export const CLOCK_REALTIME = 0;
export const CLOCK_VIRTUAL = 1;
export const CLOCK_PROF = 2;
export const CLOCK_MONOTONIC = 3;
export const CLOCK_THREAD_CPUTIME_ID = 0x20000000;
export const CLOCK_PROCESS_CPUTIME_ID = 0x40000000;

// ---- sysctl MIB: sys/sys/sysctl.h ------------------------------------------------------------
export const CTL_MAXNAME = 12;
export const CTL_KERN = 1;
export const CTL_VM = 2;
export const CTL_HW = 6;
export const KERN_OSTYPE = 1;
export const KERN_OSRELEASE = 2;
export const KERN_OSREV = 3;
export const KERN_VERSION = 4;
export const KERN_MAXFILES = 7;
export const KERN_HOSTNAME = 10;
export const KERN_ARND = 81;
/** kern.ipc (sys/sys/sysctl.h KERN_SYSVIPC) and its fixed children (KERN_SYSVIPC_*). */
export const KERN_SYSVIPC = 82;
export const KERN_SYSVIPC_MSG = 2;
export const KERN_SYSVIPC_SEM = 3;
export const KERN_SYSVIPC_SHM = 4;
export const KERN_SYSVIPC_SHMMAX = 5;
export const KERN_SYSVIPC_SHMMNI = 6;
export const KERN_SYSVIPC_SHMSEG = 7;
export const KERN_SYSVIPC_SHMMAXPGS = 8;
export const KERN_SYSVIPC_SHMUSEPHYS = 9;
/** sysctl_createv's CTL_CREATE numbers start at CREATE_BASE (kern_sysctl.c). */
export const CREATE_BASE = 1024;
export const HW_MACHINE = 1;
export const HW_NCPU = 3;
export const HW_PAGESIZE = 7;
export const HW_MACHINE_ARCH = 10;
export const HW_NCPUONLINE = 16;
export const HW_PHYSMEM64 = 13;

// ---- x86 sysarch: sys/arch/x86/include/sysarch.h -------------------------------------------
export const X86_GET_GSBASE = 14;
export const X86_GET_FSBASE = 15;
export const X86_SET_GSBASE = 16;
export const X86_SET_FSBASE = 17;

// ---- Signals: sys/sys/signal.h ---------------------------------------------------------------
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGEMT = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGBUS = 10;
export const SIGSEGV = 11;
export const SIGSYS = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGURG = 16;
export const SIGSTOP = 17;
export const SIGTSTP = 18;
export const SIGCONT = 19;
export const SIGCHLD = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGIO = 23;
export const SIGWINCH = 28;
export const SIGUSR1 = 30;
export const SIGUSR2 = 31;
export const NSIG = 64;
export const SIGNAL_NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGEMT', 'SIGFPE', 'SIGKILL', 'SIGBUS',
  'SIGSEGV', 'SIGSYS', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGURG', 'SIGSTOP', 'SIGTSTP', 'SIGCONT', 'SIGCHLD',
  'SIGTTIN', 'SIGTTOU', 'SIGIO', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGINFO', 'SIGUSR1',
  'SIGUSR2', 'SIGPWR',
];
export const signalName = (sig: number): string =>
  SIGNAL_NAMES[sig] ?? (sig >= 33 && sig < NSIG ? `SIGRTMIN+${sig - 33}` : `signal ${sig}`);


// ---- Signal actions, masks, stacks, siginfo codes, contexts: sys/sys/signal.h, siginfo.h, ----
// ucontext.h, sys/arch/amd64/include/mcontext.h
export const SIG_DFL = 0;
export const SIG_IGN = 1;
// sigaction flags (sys/sys/signal.h)
export const SA_ONSTACK = 0x0001;
export const SA_RESTART = 0x0002;
export const SA_RESETHAND = 0x0004;
export const SA_NOCLDSTOP = 0x0008;
export const SA_NODEFER = 0x0010;
export const SA_NOCLDWAIT = 0x0020;
export const SA_SIGINFO = 0x0040;
export const SA_ALLBITS = 0x00ff;
// sigprocmask how
export const SIG_BLOCK = 1;
export const SIG_UNBLOCK = 2;
export const SIG_SETMASK = 3;
// stack_t flags (sys/sys/signal.h)
export const SS_ONSTACK = 0x0001;
export const SS_DISABLE = 0x0004;
export const SS_ALLBITS = 0x0005;
export const MINSIGSTKSZ = 8192;
// si_code values (sys/sys/siginfo.h)
export const SI_USER = 0;
export const SI_QUEUE = -1;
export const SI_LWP = -5;
export const SI_NOINFO = 32767;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
// uc_flags (sys/sys/ucontext.h, sys/arch/amd64/include/mcontext.h)
export const _UC_SIGMASK = 0x01;
export const _UC_STACK = 0x02;
export const _UC_CPU = 0x04;
export const _UC_FPU = 0x08;
export const _UC_SETSTACK = 0x00010000;
export const _UC_CLRSTACK = 0x00020000;
export const _UC_TLSBASE = 0x00080000;
/** __SIGTRAMP_SIGINFO_VERSION (sys/sys/signal.h): the only trampoline ABI a native binary uses. */
export const SIGTRAMP_SIGINFO_VERSION = 2;

// SIGCHLD si_codes (sys/sys/siginfo.h)
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

// ---- x86 trap numbers (sys/arch/x86/include/trap.h) and their si_codes (sys/sys/siginfo.h) ----
export const T_PRIVINFLT = 0;
export const T_BPTFLT = 1;
export const T_ARITHTRAP = 2;
export const T_PROTFLT = 4;
export const T_TRCTRAP = 5;
export const T_PAGEFLT = 6;
export const T_ALIGNFLT = 7;
export const T_DIVIDE = 8;
export const T_XMM = 19;
export const ILL_ILLOPC = 1;
export const FPE_INTDIV = 1;
export const FPE_FLTINV = 7;
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;
export const BUS_ADRALN = 1;
/** BUS_ADRERR (sys/sys/siginfo.h): a nonexistent physical address — a file page past end-of-file. */
export const BUS_ADRERR = 2;

// ---- sigprop[] bits (sys/sys/signalvar.h): a signal's default behaviour --------------------------
export const SA_KILL = 0x01;
export const SA_CORE = 0x02;
export const SA_STOP = 0x04;
export const SA_TTYSTOP = 0x08;
export const SA_IGNORE = 0x10;
export const SA_CONT = 0x20;

// ---- ELF auxiliary vector: sys/sys/exec_elf.h ------------------------------------------------
export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_STACKBASE = 13;
export const AT_EUID = 2000;
export const AT_RUID = 2001;
export const AT_EGID = 2002;
export const AT_RGID = 2003;
export const AT_SUN_EXECNAME = 2014;
export const MAXPATHLEN = 1024;

// ---- so_state bits (sys/sys/socketvar.h) and local-socket tunables (sys/kern/uipc_usrreq.c) ----
export const SS_ISCONNECTED = 0x001;
export const SS_CANTSENDMORE = 0x010;
export const SS_CANTRCVMORE = 0x020;
/** unp_rights_ratio: at most maxfiles / 2 descriptors may be in flight in SCM_RIGHTS messages. */
export const UNP_RIGHTS_RATIO = 2;

// ---- amd64 user flags and selectors (sys/arch/x86/include/psl.h, segments.h; -----------------
// lib/libpthread/arch/x86_64/pthread_md.h _INITCONTEXT_U_MD for the selector values)
export const PSL_C = 0x1;
export const PSL_I = 0x200;
/** Flags a context may change (PSL_USER: CF PF AF ZF SF TF DF OF AC). */
export const PSL_USER = 0x40dd5;
/** TF | DF | AC: cleared on signal handler entry (machdep.c sendsig). */
export const PSL_CLEARSIG = 0x40500;
export const USER_CS = 0x1b;
export const USER_DS = 0x23;
/** VM_PROT_ALL (sys/uvm/uvm_prot.h): the protection bits mmap and mprotect keep. */
export const VM_PROT_ALL = 7;

// ---- Syscall dispatch and user registers ------------------------------------------------------
/**
 * The highest syscall number NetBSD 11 assigns (sys/kern/syscalls.master ends near 505;
 * unverified): everything above up to SYS_NSYSENT - 1 is sys_nosys.
 */
export const LAST_NETBSD_SYSCALL = 505;

/** PSL_USERSET: the user rflags at exec (process-abi.md §2.6); bit 0 is the carry flag. */
export const PSL_USERSET = 0x202;

// ---- poll(2) events: sys/sys/poll.h -----------------------------------------------------------
export const POLLIN = 0x0001;
export const POLLPRI = 0x0002;
export const POLLOUT = 0x0004;
export const POLLRDNORM = 0x0040;
export const POLLWRNORM = POLLOUT;
export const POLLRDBAND = 0x0080;
export const POLLWRBAND = 0x0100;
export const POLLERR = 0x0008;
export const POLLHUP = 0x0010;
export const POLLNVAL = 0x0020;
/** FD_SETSIZE (sys/sys/fd_set.h): the default fd_set size; select clamps nd to the table size. */
export const FD_SETSIZE = 256;

// ---- wait(2) options and status encoding: sys/sys/wait.h --------------------------------------
export const WNOHANG = 0x00000001;
export const WUNTRACED = 0x00000002;
export const WALTSIG = 0x00000004;
export const WALLSIG = 0x00000008;
export const WCONTINUED = 0x00000010;
export const WEXITED = 0x00000020;
export const WTRAPPED = 0x00000040;
export const WNOWAIT = 0x00010000;
export const WNOZOMBIE = 0x00020000;
export const WOPTSCHECKED = 0x00040000;
/** W_STOPCODE(sig) = sig << 8 | _WSTOPPED (0177); W_EXITCODE(ret, sig) = ret << 8 | sig; WCOREFLAG 0200. */
export const WSTOPPED_CODE = 0o177;
export const WCOREFLAG = 0o200;
export const WCONTINUED_STATUS = 0xffff;
/** ARG_MAX (sys/sys/syslimits.h): the most bytes of arguments and environment execve takes. */
export const ARG_MAX = 256 * 1024;
/** Pipes (sys/sys/pipe.h): the buffer, and PIPE_BUF (sys/sys/syslimits.h), the atomic write size. */
export const PIPE_SIZE = 16384;
export const PIPE_BUF = 512;

// ---- What this kernel says it is (sys/sys/param.h __NetBSD_Version__, sys/conf/newvers.sh) ---
export const NETBSD_VERSION = 1100000000; // 11.0
export const OSTYPE = 'NetBSD';
export const OSRELEASE = '11.0';
export const MACHINE = 'amd64';
export const MACHINE_ARCH = 'x86_64';

// ---- kqueue / kevent: sys/sys/event.h 1.54 (2022/07/19), semantics of sys/kern/kern_event.c 1.140 --
// Values read in NetBSD/src (event.h 1.54); struct kevent is the 40-byte layout of syscall 435.
export const EVFILT_READ = 0;
export const EVFILT_WRITE = 1;
export const EVFILT_AIO = 2;
export const EVFILT_VNODE = 3;
export const EVFILT_PROC = 4;
export const EVFILT_SIGNAL = 5;
export const EVFILT_TIMER = 6;
export const EVFILT_FS = 7;
export const EVFILT_USER = 8;
export const EVFILT_EMPTY = 9;
export const EVFILT_SYSCOUNT = 10;
/** sizeof(struct kevent) on LP64: ident, filter, flags, fflags, (pad), data, udata. */
export const KEVENT_SIZE = 40;
export const EV_ADD = 0x0001;
export const EV_DELETE = 0x0002;
export const EV_ENABLE = 0x0004;
export const EV_DISABLE = 0x0008;
export const EV_ONESHOT = 0x0010;
export const EV_CLEAR = 0x0020;
export const EV_RECEIPT = 0x0040;
export const EV_DISPATCH = 0x0080;
export const EV_SYSFLAGS = 0xf000;
export const EV_FLAG1 = 0x2000;
export const EV_EOF = 0x8000;
export const EV_ERROR = 0x4000;
/** EVFILT_USER fflags. */
export const NOTE_FFNOP = 0x00000000;
export const NOTE_FFAND = 0x40000000;
export const NOTE_FFOR = 0x80000000;
export const NOTE_FFCOPY = 0xc0000000;
export const NOTE_FFCTRLMASK = 0xc0000000;
export const NOTE_FFLAGSMASK = 0x00ffffff;
export const NOTE_TRIGGER = 0x01000000;
/** EVFILT_READ / EVFILT_WRITE. */
export const NOTE_LOWAT = 0x0001;
/** EVFILT_PROC. */
export const NOTE_EXIT = 0x80000000;
export const NOTE_FORK = 0x40000000;
export const NOTE_EXEC = 0x20000000;
export const NOTE_PCTRLMASK = 0xf0000000;
export const NOTE_PDATAMASK = 0x000fffff;
export const NOTE_TRACK = 0x00000001;
export const NOTE_TRACKERR = 0x00000002;
export const NOTE_CHILD = 0x00000004;
/** EVFILT_VNODE (event.h 1.45; later revisions add bits above NOTE_REVOKE). */
export const NOTE_DELETE = 0x0001;
export const NOTE_WRITE = 0x0002;
export const NOTE_EXTEND = 0x0004;
export const NOTE_ATTRIB = 0x0008;
export const NOTE_LINK = 0x0010;
export const NOTE_RENAME = 0x0020;
export const NOTE_REVOKE = 0x0040;
/** EVFILT_TIMER units (an enumeration in the low two bits, not bit flags) and NOTE_ABSTIME. */
export const NOTE_MSECONDS = 0x0;
export const NOTE_SECONDS = 0x1;
export const NOTE_USECONDS = 0x2;
export const NOTE_NSECONDS = 0x3;
export const NOTE_ABSTIME = 0x10;
export const NOTE_TIMER_UNITMASK = 0x3;
/** kern_event.c kq_calloutmax: the most EVFILT_TIMER knotes the machine allows (ENOMEM past it). */
export const KQ_CALLOUTMAX = 4 * 1024;
/** hz (sys/kern/param.c HZ on amd64): timer periods are rounded up to whole ticks of 1/hz s. */
export const HZ = 100;

// ---- Time: sys/sys/time.h, sys/sys/signal.h, sys/sys/siginfo.h, sys/sys/idtype.h 1.5 -------------
/** clock_nanosleep / timer_settime flags. */
export const TIMER_RELTIME = 0;
export const TIMER_ABSTIME = 1;
/** setitimer/getitimer `which` (kern_time.c 1.214 CTASSERTs ITIMER_x == CLOCK_x). */
export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;
export const ITIMER_MONOTONIC = 3;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
/** si_code of a signal from a timer. */
export const SI_TIMER = -2;
/** idtype_t (sys/sys/idtype.h 1.5): clock_getcpuclockid2 takes P_PID and P_LWPID. */
export const P_MYID = -1;
export const P_ALL = 0;
export const P_PID = 1;
export const P_LWPID = 2;
export const P_PPID = 3;
export const P_PGID = 4;
export const P_SID = 5;
export const P_CID = 6;
export const P_UID = 7;
export const P_GID = 8;
/** tick (sys/kern/kern_clock.c): microseconds per hardclock tick, 1000000 / HZ. */
export const TICK_US = 10_000;

// ---- sysctl: sys/sys/sysctl.h ------------------------------------------------------------------
export const CTL_EOL = -1;
export const CTL_QUERY = -2;
export const CTL_CREATE = -3;
export const CTL_CREATESYM = -4;
export const CTL_DESTROY = -5;
export const CTL_MMAP = -6;
export const CTL_DESCRIBE = -7;
export const CTLTYPE_NODE = 1;
export const CTLTYPE_INT = 2;
export const CTLTYPE_STRING = 3;
export const CTLTYPE_QUAD = 4;
export const CTLTYPE_STRUCT = 5;
export const CTLTYPE_BOOL = 6;
export const CTLFLAG_READWRITE = 0x00000070;
export const CTLFLAG_ANYWRITE = 0x00000080;
export const CTLFLAG_PRIVATE = 0x00000100;
export const CTLFLAG_PERMANENT = 0x00000200;
export const CTLFLAG_IMMEDIATE = 0x00000800;
export const CTLFLAG_HEX = 0x00001000;
export const CTLFLAG_ROOT = 0x00002000;
export const CTLFLAG_ANYNUMBER = 0x00004000;
export const SYSCTL_VERS_MASK = 0xff000000;
export const SYSCTL_VERS_1 = 0x01000000;
export const SYSCTL_VERSION = SYSCTL_VERS_1;
export const SYSCTL_TYPEMASK = 0x0000000f;
/** sizeof(struct sysctlnode) on LP64; SYSCTL_NAMELEN. */
export const SYSCTLNODE_SIZE = 96;
export const SYSCTL_NAMELEN = 32;
export const KERN_PROC_ARGS = 48;
export const KERN_PROC_ARGV = 1;
export const KERN_PROC_NARGV = 2;
export const KERN_PROC_ENV = 3;
export const KERN_PROC_NENV = 4;
export const KERN_PROC_PATHNAME = 5;
export const KERN_PROC_CWD = 6;
/** MAXHOSTNAMELEN (sys/sys/param.h): the size of kern.hostname's buffer. */
export const MAXHOSTNAMELEN = 256;

// ---- LWPs: sys/sys/lwp.h, sys/sys/param.h ---------------------------------------------------------
export const LWP_DETACHED = 0x00000040;
export const LWP_SUSPENDED = 0x00000080;
/** _lwp_ctl features (sys/sys/lwpctl.h 1.4 has CURCPU; PCTR, lc_pctr's bit, is from a newer one: unverified). */
export const LWPCTL_FEATURE_CURCPU = 0x00000001;
export const LWPCTL_FEATURE_PCTR = 0x00000002;
/** LWP_UNPARK_MAX (sys/kern/sys_lwp.c): the most targets one _lwp_unpark_all takes. */
export const LWP_UNPARK_MAX = 1024;
/** MAXCOMLEN (sys/sys/param.h): the longest LWP name, with its NUL. */
export const MAXCOMLEN = 16;

// ---- madvise, msync, minherit, mincore, mlockall (sys/sys/mman.h) ---------------------------
export const MCL_CURRENT = 0x01;
export const MCL_FUTURE = 0x02;
export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_SPACEAVAIL = 5;
export const MADV_FREE = 6;
export const MS_ASYNC = 0x01;
export const MS_INVALIDATE = 0x02;
export const MS_SYNC = 0x04;
export const MAP_INHERIT_SHARE = 0;
export const MAP_INHERIT_COPY = 1;
export const MAP_INHERIT_NONE = 2;
export const MAP_INHERIT_DONATE_COPY = 3;
export const MAP_INHERIT_ZERO = 4;
/** mincore(2)'s per-page byte: the page is resident. */
export const MINCORE_INCORE = 0x1;
/** sys/sys/mman.h PROT_MPROTECT(x) = x << 3: PaX MPROTECT maximum-protection bits mmap accepts in prot. */
export const PROT_MPROTECT_SHIFT = 3;

// ---- getrusage, getpriority (sys/sys/resource.h) ---------------------------------------------
export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
/** struct rusage on amd64: two struct timeval (16 bytes each) and 14 longs. */
export const RUSAGE_SIZE = 144;
export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;
/** PRIO_MIN, PRIO_MAX (sys/sys/resource.h) and NZERO (sys/sys/param.h): p_nice is NZERO-based. */
export const PRIO_MIN = -20;
export const PRIO_MAX = 20;
export const NZERO = 20;
/**
 * do_setresuid/do_setresgid's flags (sys/sys/kauth.h ID_*): which current id a new real,
 * effective or saved id may equal without privilege. Kernel-internal; values as remembered,
 * unverified (only their distinctness matters).
 */
export const ID_E_EQ_E = 0x001;
export const ID_E_EQ_R = 0x002;
export const ID_E_EQ_S = 0x004;
export const ID_R_EQ_E = 0x010;
export const ID_R_EQ_R = 0x020;
export const ID_R_EQ_S = 0x040;
export const ID_S_EQ_E = 0x100;
export const ID_S_EQ_R = 0x200;
export const ID_S_EQ_S = 0x400;
/** NGROUPS_MAX (sys/sys/syslimits.h). */
export const NGROUPS_MAX = 16;

// ---- ioctl(2): sys/sys/ioccom.h, filio.h, ttycom.h, sockio.h, event.h ------------------------
// Command words: direction in bits 29-31, parameter length in bits 16-28, group and number below.
export const IOC_VOID = 0x20000000;
export const IOC_OUT = 0x40000000;
export const IOC_IN = 0x80000000;
export const IOCPARM_MASK = 0x1fff;
export const IOCPARM_SHIFT = 16;
/** IOCPARM_MAX = NBPG (4096 on amd64): longer parameters are ENOTTY (sys_generic.c sys_ioctl). */
export const IOCPARM_MAX = 4096;
export const IOCPARM_LEN = (com: number): number => Math.floor(com / 0x10000) & IOCPARM_MASK;
const _IOC = (inout: number, group: string, num: number, len: number): number =>
  (inout + ((len & IOCPARM_MASK) << IOCPARM_SHIFT) + (group.charCodeAt(0) << 8) + num) >>> 0;
const _IO = (g: string, n: number): number => _IOC(IOC_VOID, g, n, 0);
const _IOR = (g: string, n: number, len: number): number => _IOC(IOC_OUT, g, n, len);
const _IOW = (g: string, n: number, len: number): number => _IOC(IOC_IN, g, n, len);
const _IOWR = (g: string, n: number, len: number): number => _IOC(IOC_IN + IOC_OUT, g, n, len);
// sys/sys/filio.h
export const FIOCLEX = _IO('f', 1);
export const FIONCLEX = _IO('f', 2);
export const FIONREAD = _IOR('f', 127, 4);
export const FIONBIO = _IOW('f', 126, 4);
export const FIOASYNC = _IOW('f', 125, 4);
export const FIOSETOWN = _IOW('f', 124, 4);
export const FIOGETOWN = _IOR('f', 123, 4);
export const FIONWRITE = _IOR('f', 121, 4);
export const FIONSPACE = _IOR('f', 120, 4);
// sys/sys/ttycom.h: struct termios is 44 bytes (4 tcflag_t, c_cc[NCCS = 20], c_ispeed, c_ospeed),
// struct winsize 8 (ws_row, ws_col, ws_xpixel, ws_ypixel).
/** c_lflag's TOSTOP (sys/sys/termios.h): background writers get SIGTTOU. c_lflag is at offset 12. */
export const TOSTOP = 0x00400000;
export const TERMIOS_LFLAG_OFF = 12;
export const TERMIOS_SIZE = 44;
export const NCCS = 20;
export const WINSIZE_SIZE = 8;
export const TIOCEXCL = _IO('t', 13);
export const TIOCNXCL = _IO('t', 14);
export const TIOCFLUSH = _IOW('t', 16, 4);
export const TIOCGETA = _IOR('t', 19, TERMIOS_SIZE);
export const TIOCSETA = _IOW('t', 20, TERMIOS_SIZE);
export const TIOCSETAW = _IOW('t', 21, TERMIOS_SIZE);
export const TIOCSETAF = _IOW('t', 22, TERMIOS_SIZE);
export const TIOCGPGRP = _IOR('t', 119, 4);
export const TIOCSPGRP = _IOW('t', 118, 4);
export const TIOCOUTQ = _IOR('t', 115, 4);
export const TIOCNOTTY = _IO('t', 113);
export const TIOCGWINSZ = _IOR('t', 104, WINSIZE_SIZE);
export const TIOCSWINSZ = _IOW('t', 103, WINSIZE_SIZE);
export const TIOCSCTTY = _IO('t', 97);
export const TIOCDRAIN = _IO('t', 94);
export const TIOCGSID = _IOR('t', 99, 4);
// sys/sys/sockio.h
export const SIOCATMARK = _IOR('s', 7, 4);
export const SIOCSPGRP = _IOW('s', 8, 4);
export const SIOCGPGRP = _IOR('s', 9, 4);
/** IOCGROUP 'i': interface ioctls, ifioctl (EOPNOTSUPP without a network stack, sys_socket.c). */
export const IOCGROUP = (com: number): number => (com >>> 8) & 0xff;
// sys/sys/event.h: struct kfilter_mapping { char *name; size_t len; uint32_t filter; } (24 bytes)
export const KFILTER_MAPPING_SIZE = 24;
export const KFILTER_BYFILTER = _IOWR('k', 0, KFILTER_MAPPING_SIZE);
export const KFILTER_BYNAME = _IOWR('k', 1, KFILTER_MAPPING_SIZE);
/** KFILTER_MAXNAME (kern_event.c): the longest filter name KFILTER_BYNAME copies in. */
export const KFILTER_MAXNAME = 256;
/** si_code of SIGIO (sys/sys/siginfo.h): POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP. */
export const POLL_IN = 1;
export const POLL_OUT = 2;
export const POLL_ERR = 4;
export const POLL_HUP = 6;
export const INT_MIN = -0x80000000;

// ---- pathconf(2): sys/sys/unistd.h names, sys/sys/syslimits.h values --------------------------
export const _PC_LINK_MAX = 1;
export const _PC_MAX_CANON = 2;
export const _PC_MAX_INPUT = 3;
export const _PC_NAME_MAX = 4;
export const _PC_PATH_MAX = 5;
export const _PC_PIPE_BUF = 6;
export const _PC_CHOWN_RESTRICTED = 7;
export const _PC_NO_TRUNC = 8;
export const _PC_VDISABLE = 9;
export const _PC_SYNC_IO = 10;
export const _PC_FILESIZEBITS = 11;
export const _PC_SYMLINK_MAX = 12;
export const _PC_2_SYMLINKS = 13;
export const _PC_ACL_EXTENDED = 14;
export const _PC_MIN_HOLE_SIZE = 15;
export const _PC_ACL_PATH_MAX = 16;
export const _PC_ACL_NFS4 = 17;
/** LINK_MAX, MAX_CANON, MAX_INPUT, PATH_MAX (sys/sys/syslimits.h); FFS_MAXNAMLEN (ufs/ffs/fs.h). */
export const LINK_MAX = 32767;
export const MAX_CANON = 255;
export const MAX_INPUT = 255;
export const PATH_MAX = 1024;
export const FFS_MAXNAMLEN = 255;
/** _POSIX_VDISABLE (sys/sys/termios.h). */
export const POSIX_VDISABLE = 0xff;

// ---- struct sigevent: sys/sys/siginfo.h / signal.h -----------------------------------------------
/** sigev_notify: SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_SA (the last one timer_create accepts). */
export const SIGEV_NONE = 0;
export const SIGEV_SIGNAL = 1;
export const SIGEV_THREAD = 2;
export const SIGEV_SA = 3;
/** struct sigevent: sigev_notify, sigev_signo, sigev_value, sigev_notify_function, _attributes (LP64). */
export const SIGEVENT_SIZE = 32;

/** posix_fadvise advice (sys/sys/fcntl.h: the UVM_ADV_* values, then WILLNEED, DONTNEED, NOREUSE). */
export const POSIX_FADV_NORMAL = 0;
export const POSIX_FADV_RANDOM = 1;
export const POSIX_FADV_SEQUENTIAL = 2;
export const POSIX_FADV_WILLNEED = 3;
export const POSIX_FADV_DONTNEED = 4;
export const POSIX_FADV_NOREUSE = 5;

/** fsync_range flags (sys/sys/unistd.h): FDATASYNC, FFILESYNC, FDISKSYNC. */
export const FDATASYNC = 0x0010;
export const FFILESYNC = 0x0020;
export const FDISKSYNC = 0x0040;

/** MAXLOGNAME (sys/sys/param.h): the size of a session's s_login. */
export const MAXLOGNAME = 16;

// ---- posix_spawn(2): sys/sys/spawn.h 1.7 (FAE_CHDIR/FAE_FCHDIR), scheduling: sys/sys/sched.h, ----
// sys/sys/param.h (PRI_NONE, SCHED_PRI_MIN/MAX)
export const POSIX_SPAWN_RESETIDS = 0x01;
export const POSIX_SPAWN_SETPGROUP = 0x02;
export const POSIX_SPAWN_SETSCHEDPARAM = 0x04;
export const POSIX_SPAWN_SETSCHEDULER = 0x08;
export const POSIX_SPAWN_SETSIGDEF = 0x10;
export const POSIX_SPAWN_SETSIGMASK = 0x20;
/** NetBSD's own: the parent waits for the child's attributes, file actions and exec, and gets their error. */
export const POSIX_SPAWN_RETURNERROR = 0x40;
export const FAE_OPEN = 0;
export const FAE_DUP2 = 1;
export const FAE_CLOSE = 2;
export const FAE_CHDIR = 3;
export const FAE_FCHDIR = 4;
/** struct posix_spawn_file_actions { u_int size, len; entry *fae; } */
export const SPAWN_FILE_ACTIONS_SIZE = 16;
/** struct posix_spawn_file_actions_entry: action, fildes, then a 16-byte union (open: path, oflag, mode). */
export const SPAWN_FAE_SIZE = 24;
/** struct posix_spawnattr: short flags, pid_t pgroup, sched_param, int policy, sigset_t sigdefault, sigmask. */
export const SPAWNATTR_SIZE = 48;
export const SCHED_NONE = -1;
export const SCHED_OTHER = 0;
export const SCHED_FIFO = 1;
export const SCHED_RR = 2;
export const PRI_NONE = -1;
export const SCHED_PRI_MIN = 0;
export const SCHED_PRI_MAX = 63;
