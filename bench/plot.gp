# Plots the ipc/async benchmark results written by ipc-async-bench.
# Usage: gnuplot -e "dir='build/bench'" bench/plot.gp
if (!exists("dir")) dir = "build/bench"
set terminal svg size 1100,900 dynamic font "sans,11"
set output dir."/ipc-async.svg"
set termoption noenhanced   # names contain underscores
set multiplot layout 2,1 title "lxds channels and async runtime (host, 2 vCPUs, TSC cycles)"

set style data histograms
set style fill solid 0.7 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -30 left font ",9"
set bmargin 10
set logscale y
set ylabel "cycles per operation (log)"
set title "Latency"
plot dir."/latency.dat" using 2:xtic(1) notitle linecolor rgb "#3b6ea5"

unset logscale y
set ylabel "millions per second"
set title "Throughput"
plot dir."/throughput.dat" using 2:xtic(1) notitle linecolor rgb "#c0504d"
unset multiplot
