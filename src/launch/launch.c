/*
 * sockconf-launch: start one program under test on a test host, in one exec.
 *
 *   sockconf-launch NETNS ETC_DIR SCRATCH UID [LIMIT=VALUE ...] -- PROGRAM [ARG ...]
 *
 * It enters the network namespace /run/netns/NETNS, makes a private mount
 * namespace where the host's own files in ETC_DIR are bound over /etc and
 * SCRATCH over every world-writable folder (/var/tmp, /dev/shm, /run/lock,
 * /tmp), sets the limits (nproc, as, cpu, fsize, nofile, core: a number or
 * "unlimited"), drops every capability from the bounding set, becomes UID
 * (gid UID, no supplementary groups) with no_new_privs, no ambient and no
 * inheritable capabilities, and execs PROGRAM (searched in PATH, as execvp)
 * with the environment it was given.  It replaces `ip netns exec`, two shells, seven mounts, setpriv and
 * prlimit (harness/sockconf/hosts/sandbox.py).
 *
 * Every failure is one line on stderr naming the call, and exit status 97
 * (LAUNCH_FAILED); a usage error exits 2.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LAUNCH_FAILED 97
#define USAGE_FAILED 2

static const char *const private_dirs[] = { "/var/tmp", "/dev/shm", "/run/lock", "/tmp" };

static const struct {
    const char *name;
    int resource;
} limit_names[] = {
    { "nproc", RLIMIT_NPROC }, { "as", RLIMIT_AS }, { "cpu", RLIMIT_CPU },
    { "fsize", RLIMIT_FSIZE }, { "nofile", RLIMIT_NOFILE }, { "core", RLIMIT_CORE },
};

static _Noreturn void fail(const char *call, const char *what)
{
    fprintf(stderr, "sockconf-launch: %s(%s): %s\n", call, what, strerror(errno));
    exit(LAUNCH_FAILED);
}

static _Noreturn void usage(const char *why)
{
    fprintf(stderr, "sockconf-launch: %s\nusage: sockconf-launch NETNS ETC_DIR SCRATCH UID "
            "[LIMIT=VALUE ...] -- PROGRAM [ARG ...]\n", why);
    exit(USAGE_FAILED);
}

static void enter_netns(const char *name)
{
    char path[PATH_MAX];
    int fd;

    if (snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
        usage("NETNS is a name under /run/netns");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail("open", path);
    if (setns(fd, CLONE_NEWNET) < 0)
        fail("setns", path);
    close(fd);
}

static void bind_over(const char *source, const char *target)
{
    if (mount(source, target, NULL, MS_BIND, NULL) < 0)
        fail("mount", target);
}

/* Bind every file of ETC_DIR over the file of that name in /etc. */
static void bind_etc(const char *etc_dir)
{
    DIR *dir = opendir(etc_dir);
    struct dirent *entry;
    char source[PATH_MAX], target[PATH_MAX];

    if (dir == NULL)
        fail("opendir", etc_dir);
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        snprintf(source, sizeof(source), "%s/%s", etc_dir, entry->d_name);
        snprintf(target, sizeof(target), "/etc/%s", entry->d_name);
        bind_over(source, target);
    }
    closedir(dir);
}

static void private_mounts(const char *etc_dir, const char *scratch)
{
    struct stat st;

    if (unshare(CLONE_NEWNS) < 0)
        fail("unshare", "CLONE_NEWNS");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        fail("mount", "/ private");
    bind_etc(etc_dir);
    /* /tmp last: SCRATCH itself lies under /tmp */
    for (size_t i = 0; i < sizeof(private_dirs) / sizeof(private_dirs[0]); i++)
        if (stat(private_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
            bind_over(scratch, private_dirs[i]);
}

static int parse_number(const char *text, unsigned long long *value)
{
    char *end;

    if (strcmp(text, "unlimited") == 0) {
        *value = RLIM_INFINITY;
        return 0;
    }
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    *value = strtoull(text, &end, 10);
    return errno || *end ? -1 : 0;
}

struct limit_setting {
    int resource;
    struct rlimit value;
};

/* Check SETTING (NAME=VALUE) and say which limit it sets; exit 2 when it is not one. */
static struct limit_setting parse_limit(const char *setting)
{
    const char *eq = strchr(setting, '=');
    unsigned long long value;

    for (size_t i = 0; eq && i < sizeof(limit_names) / sizeof(limit_names[0]); i++) {
        if (strlen(limit_names[i].name) != (size_t)(eq - setting)
            || strncmp(limit_names[i].name, setting, (size_t)(eq - setting)) != 0)
            continue;
        if (parse_number(eq + 1, &value) < 0)
            usage("a limit's value is a whole number or unlimited");
        return (struct limit_setting){ limit_names[i].resource, { .rlim_cur = value, .rlim_max = value } };
    }
    usage("unknown limit (nproc, as, cpu, fsize, nofile, core)");
}

static void drop_bounding_set(void)
{
    for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            fail("prctl", "PR_CAPBSET_DROP");
}

/* Become UID (gid UID, no groups), with no capability of any kind left. */
static void become(uid_t id, const char *uid_text)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

    drop_bounding_set();
    if (setgroups(0, NULL) < 0)
        fail("setgroups", "none");
    if (setresgid((gid_t)id, (gid_t)id, (gid_t)id) < 0)
        fail("setresgid", uid_text);
    if (setresuid(id, id, id) < 0)
        fail("setresuid", uid_text);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        fail("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
    memset(none, 0, sizeof(none));
    if (syscall(SYS_capset, &header, none) < 0)
        fail("capset", "none");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail("prctl", "PR_SET_NO_NEW_PRIVS");
}

int main(int argc, char *argv[])
{
    struct limit_setting limits[sizeof(limit_names) / sizeof(limit_names[0])];
    int program = 5, nlimits = 0;
    unsigned long long uid;

    if (argc < 7)
        usage("too few arguments");
    while (program < argc && strcmp(argv[program], "--") != 0)
        program++;
    if (program + 1 >= argc)
        usage("no PROGRAM after --");
    if (program - 5 > (int)(sizeof(limits) / sizeof(limits[0])))
        usage("more limits than there are kinds");
    for (int i = 5; i < program; i++)          /* every argument checked before anything is done */
        limits[nlimits++] = parse_limit(argv[i]);
    if (parse_number(argv[4], &uid) < 0 || uid == 0 || uid > (unsigned long long)UINT_MAX - 1)
        usage("UID is a number above 0");
    if (strchr(argv[1], '/'))
        usage("NETNS is a name under /run/netns");
    enter_netns(argv[1]);
    private_mounts(argv[2], argv[3]);
    for (int i = 0; i < nlimits; i++)
        if (setrlimit(limits[i].resource, &limits[i].value) < 0)
            fail("setrlimit", argv[5 + i]);
    become((uid_t)uid, argv[4]);
    execvp(argv[program + 1], &argv[program + 1]);
    fail("execvp", argv[program + 1]);
}
