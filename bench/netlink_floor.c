// The C floor of a netlink TCP dump (v4 then v6), for bench/netlink.mjs: one socket per dump,
// a 64 KiB recv buffer, each record touched once. Prints the median ms of N rounds.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <time.h>
#include <stdlib.h>
static char buf[65536];
static long dump(int fam){
  int fd=socket(AF_NETLINK,SOCK_RAW|SOCK_CLOEXEC,NETLINK_SOCK_DIAG);
  struct {struct nlmsghdr h; struct inet_diag_req_v2 r;} req; memset(&req,0,sizeof req);
  req.h.nlmsg_len=sizeof req; req.h.nlmsg_type=SOCK_DIAG_BY_FAMILY; req.h.nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP; req.h.nlmsg_seq=1;
  req.r.sdiag_family=fam; req.r.sdiag_protocol=IPPROTO_TCP; req.r.idiag_states=~0u;
  struct sockaddr_nl k={.nl_family=AF_NETLINK}; sendto(fd,&req,sizeof req,0,(void*)&k,sizeof k);
  long n=0; unsigned long sum=0;
  for(;;){ ssize_t r=recv(fd,buf,sizeof buf,0); if(r<=0)break; struct nlmsghdr*h=(void*)buf; int done=0;
    for(;NLMSG_OK(h,r);h=NLMSG_NEXT(h,r)){ if(h->nlmsg_type==NLMSG_DONE){done=1;break;} struct inet_diag_msg*m=NLMSG_DATA(h); sum+=m->idiag_inode; n++; }
    if(done)break; }
  close(fd); return n+(sum&0);
}
static int cmp(const void*a,const void*b){ double x=*(const double*)a,y=*(const double*)b; return x<y?-1:x>y; }
int main(int argc,char**argv){ int n=argc>1?atoi(argv[1]):15; if(n<1)n=1; if(n>1000)n=1000; double t[1000]; long rows=0;
  for(int i=0;i<n;i++){ struct timespec a,b; clock_gettime(CLOCK_MONOTONIC,&a); rows=dump(AF_INET)+dump(AF_INET6); clock_gettime(CLOCK_MONOTONIC,&b); t[i]=(b.tv_sec-a.tv_sec)*1e3+(b.tv_nsec-a.tv_nsec)/1e6; }
  qsort(t,n,sizeof t[0],cmp); printf("%ld %.3f\n",rows,t[n/2]); return 0; }
