FROM localhost/equiv-base:1
COPY data.txt /data/
RUN wc -c /data/data.txt > /data/size
