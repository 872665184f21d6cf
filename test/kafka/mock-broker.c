/*
 * A real Kafka-protocol broker on loopback for driftwatch's tests: librdkafka's mock
 * cluster. Usage: mock-broker BROKERS TOPIC:PARTITIONS [TOPIC:PARTITIONS ...]
 * Prints "bootstrap <host:port,...>" on stdout once ready, then reads commands on stdin:
 *   down <broker-id>            take a broker down
 *   up <broker-id>              bring it back
 *   leader <topic> <partition> <broker-id>
 *   coordinator <group> <broker-id>   the broker that coordinates a consumer group
 *   error <api-key> <error-code> <count>   the next <count> requests of that API (any
 *                               broker) fail with that Kafka error code
 * and answers "ok" or "error ..." to each. Exits when stdin closes, so a killed test
 * never leaves a broker behind.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s BROKERS [TOPIC:PARTITIONS ...]\n", argv[0]);
    return 2;
  }
  int brokers = atoi(argv[1]);
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    fprintf(stderr, "cannot create the mock cluster\n");
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    char topic[256];
    int partitions = 1;
    if (sscanf(argv[i], "%255[^:]:%d", topic, &partitions) < 1) continue;
    if (rd_kafka_mock_topic_create(cluster, topic, partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "cannot create topic %s\n", topic);
      return 1;
    }
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);

  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char command[32], topic[256];
    int a = 0, b = 0, c = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "down %d", &a) == 1) {
      err = rd_kafka_mock_broker_set_down(cluster, a);
    } else if (sscanf(line, "up %d", &a) == 1) {
      err = rd_kafka_mock_broker_set_up(cluster, a);
    } else if (sscanf(line, "leader %255s %d %d", topic, &a, &b) == 3) {
      err = rd_kafka_mock_partition_set_leader(cluster, topic, a, b);
    } else if (sscanf(line, "error %d %d %d", &a, &b, &c) == 3 && c > 0 && c <= 64) {
      rd_kafka_resp_err_t errors[64];
      for (int i = 0; i < c; i++) errors[i] = (rd_kafka_resp_err_t)b;
      rd_kafka_mock_push_request_errors_array(cluster, (int16_t)a, (size_t)c, errors);
    } else if (sscanf(line, "coordinator %255s %d", topic, &a) == 2) {
      err = rd_kafka_mock_coordinator_set(cluster, "group", topic, a);
    } else if (sscanf(line, "%31s", command) == 1) {
      printf("error unknown command %s\n", command);
      fflush(stdout);
      continue;
    } else {
      continue;
    }
    if (err) printf("error %s\n", rd_kafka_err2str(err));
    else printf("ok\n");
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
